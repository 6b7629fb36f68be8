// UDP receiving that Swift's Glibc module does not offer: recvmmsg (a GNU extension).
#ifndef LM_NET_H
#define LM_NET_H

#include <stddef.h>

/// Receives up to `count` datagrams from `fd` in one system call (recvmmsg) into `count`
/// consecutive buffers of `buffer_size` bytes each. Stores each datagram's length in `lengths[i]`
/// and sets `truncated[i]` when it did not fit. With `wait_for_one`, a blocking socket waits for
/// the first datagram (up to its SO_RCVTIMEO) and then takes what else is queued (MSG_WAITFORONE);
/// otherwise it does not wait. Returns the number received, 0 when none came (or a signal
/// interrupted the wait), or -1 with errno.
int lm_receive_datagrams(int fd, unsigned char *buffers, size_t buffer_size, unsigned count,
                         size_t *lengths, int *truncated, int wait_for_one);

/// Sends `count` datagrams on the connected socket `fd` in one system call (sendmmsg); datagram
/// `i` is `lengths[i]` bytes at `buffers + offsets[i]`. Returns how many the kernel took, or -1.
int lm_send_datagrams(int fd, const unsigned char *buffers, const size_t *offsets, const size_t *lengths,
                      unsigned count);

#endif
