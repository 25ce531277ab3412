/*
 * uftp's main(): the program is uftp_run() in uftp.c, which the library
 * API runs too; here it runs with no hooks, so it owns the process.
 */
#include "app/apprun.h"

#include <stddef.h>

int main(int argc, char **argv)
{
    return uftp_run(argc, argv, NULL);
}
