/* Multicast membership for the daemons (mcast.h). */
#include "app/mcast.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

int app_mcast_ifaces(struct app_mcast *m, const char *list, char *err, size_t errlen)
{
    char buf[1024], *tok, *save = NULL;
    m->n_ifaces = 0;
    if (!list) {
        m->n_ifaces = uft_udp_ifaces(m->ifindex, m->if_ipv4, APP_MAX_IFACES);
        if (m->n_ifaces == 0) { /* none up yet: let the kernel choose */
            m->ifindex[0] = 0;
            m->if_ipv4[0] = 0;
            m->n_ifaces = 1;
        }
        return 0;
    }
    snprintf(buf, sizeof buf, "%s", list);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (m->n_ifaces == APP_MAX_IFACES) {
            snprintf(err, errlen, "-I: more than %d interfaces", APP_MAX_IFACES);
            return -1;
        }
        m->ifindex[m->n_ifaces] = uft_udp_iface(tok, &m->if_ipv4[m->n_ifaces]);
        if (!m->ifindex[m->n_ifaces]) {
            snprintf(err, errlen, "-I %s: no such interface (give a name or one of its addresses)",
                     tok);
            return -1;
        }
        m->n_ifaces++;
    }
    return 0;
}

int app_mcast_membership(const struct app_mcast *m, const struct uft_addr *g, bool join)
{
    size_t i, k, ok = 0, tried = 0;
    for (i = 0; i < m->n_ifaces; i++) {
        if (!m->ssm) {
            int rc = join ? uft_udp_join(m->fd, g, m->ifindex[i], m->if_ipv4[i])
                          : uft_udp_leave(m->fd, g, m->ifindex[i], m->if_ipv4[i]);
            tried++;
            ok += rc == 0 || errno == EADDRINUSE;
            continue;
        }
        for (k = 0; k < m->n_sources; k++) {
            if (m->sources[k].ss.ss_family != g->ss.ss_family)
                continue;
            tried++;
            ok += uft_udp_join_source(m->fd, g, &m->sources[k], m->ifindex[i], join) == 0 ||
                  errno == EADDRINUSE;
        }
    }
    return tried && !ok ? UFT_E_IO : 0;
}

void app_mcast_addr(const uint8_t *bytes, bool v6, uint16_t port, struct uft_addr *out)
{
    memset(out, 0, sizeof *out);
    if (v6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->ss;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(port);
        memcpy(&s->sin6_addr, bytes, 16);
        out->len = sizeof *s;
    } else {
        struct sockaddr_in *s = (struct sockaddr_in *)&out->ss;
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        memcpy(&s->sin_addr, bytes, 4);
        out->len = sizeof *s;
    }
}
