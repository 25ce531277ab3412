/*
 * uftpd's main(): the program is uftpd_run() in uftpd.c, which the library
 * API runs too; here it runs with no hooks, so it owns the process.
 */
#include "app/apprun.h"

#include <stddef.h>

int main(int argc, char **argv)
{
    return uftpd_run(argc, argv, NULL);
}
