/* Blocks and sections: the arithmetic both ends must agree on. */
#include "core/layout.h"

#include <assert.h>
#include <string.h>

#include "core/err.h"

#define MAX_SECTION_BLOCKS 65536u
#define MAX_SECTIONS       65535u

int uft_layout_init(struct uft_layout *l, uint64_t size, uint32_t block_len)
{
    uint64_t blocks, sections, per_section;
    memset(l, 0, sizeof *l);
    if (block_len == 0)
        return UFT_E_VALUE;
    l->size = size;
    l->block_len = block_len;
    if (size == 0)
        return 0;
    per_section = (uint64_t)block_len * 8;
    if (per_section > MAX_SECTION_BLOCKS)
        per_section = MAX_SECTION_BLOCKS;
    blocks = size / block_len + (size % block_len ? 1 : 0);
    sections = blocks / per_section + (blocks % per_section ? 1 : 0);
    if (sections > MAX_SECTIONS)
        return UFT_E_VALUE;
    l->blocks = (uint32_t)blocks;
    l->sections = (uint32_t)sections;
    l->small = (uint32_t)(blocks / sections);
    l->big = l->small + (blocks % sections ? 1 : 0);
    l->big_sections = (uint32_t)(blocks - (uint64_t)l->small * sections);
    return 0;
}

uint32_t uft_layout_sec_first(const struct uft_layout *l, uint32_t section)
{
    assert(section < l->sections);
    if (section < l->big_sections)
        return section * l->big;
    return l->big_sections * l->big + (section - l->big_sections) * l->small;
}

uint32_t uft_layout_sec_blocks(const struct uft_layout *l, uint32_t section)
{
    assert(section < l->sections);
    return section < l->big_sections ? l->big : l->small;
}

void uft_layout_locate(const struct uft_layout *l, uint32_t block, uint32_t *section,
                       uint32_t *index)
{
    uint32_t in_big = l->big_sections * l->big;
    assert(block < l->blocks);
    if (block < in_big) {
        *section = block / l->big;
        *index = block % l->big;
    } else {
        *section = l->big_sections + (block - in_big) / l->small;
        *index = (block - in_big) % l->small;
    }
}

uint64_t uft_layout_offset(const struct uft_layout *l, uint32_t block)
{
    return (uint64_t)block * l->block_len;
}

uint32_t uft_layout_block_len(const struct uft_layout *l, uint32_t block)
{
    uint64_t off = uft_layout_offset(l, block);
    assert(block < l->blocks);
    return l->size - off < l->block_len ? (uint32_t)(l->size - off) : l->block_len;
}

size_t uft_layout_nak_bytes(uint32_t blocks_in_section)
{
    return blocks_in_section / 8 + 1;
}
