// UDP receiving that Swift's Glibc module does not offer: recvmmsg (a GNU extension).
#ifndef LM_NET_H
#define LM_NET_H

#include <stddef.h>

/// Receives up to `count` datagrams from `fd` in one system call (recvmmsg) into `count`
/// consecutive buffers of `buffer_size` bytes each. Stores each datagram's length in `lengths[i]`
/// and sets `truncated[i]` when it did not fit. With `wait_for_one`, a blocking socket waits for
/// the first datagram (up to its SO_RCVTIMEO) and then takes what else is queued (MSG_WAITFORONE);
/// otherwise it does not wait. Each sender's address goes into `senders + i * LM_SENDER_SIZE`
/// (see lm_format_sender). Returns the number received, 0 when none came (or a signal
/// interrupted the wait), or -1 with errno.
int lm_receive_datagrams(int fd, unsigned char *buffers, size_t buffer_size, unsigned count,
                         size_t *lengths, int *truncated, unsigned char *senders, int wait_for_one);

/// The bytes lm_receive_datagrams keeps per sender address (a struct sockaddr_storage).
enum { LM_SENDER_SIZE = 128 };

/// Writes a sender address as lm_receive_datagrams stored it, numerically (`10.0.0.7:41234`,
/// `[::1]:41234`), NUL-terminated, into `out` of `out_size` bytes. Returns 0, or -1 when the
/// address is of no family it knows (or `out` is too small).
int lm_format_sender(const unsigned char *sender, char *out, size_t out_size);

/// Sends `count` datagrams on the connected socket `fd` in one system call (sendmmsg); datagram
/// `i` is `lengths[i]` bytes at `buffers + offsets[i]`. Returns how many the kernel took, or -1.
int lm_send_datagrams(int fd, const unsigned char *buffers, const size_t *offsets, const size_t *lengths,
                      unsigned count);

/// Sends `length` bytes on the connected UDP socket `fd` with one sendmsg carrying UDP_SEGMENT
/// (UDP generic segmentation offload): the kernel cuts them into datagrams of `segment_size`
/// bytes (the last may be shorter), each a datagram of its own by the time it reaches the
/// receiving socket. Returns the bytes taken, or -1 with errno.
long lm_send_segmented(int fd, const unsigned char *bytes, size_t length, unsigned short segment_size);

/// Attaches to the SO_REUSEPORT group of `fd` a classic BPF program that hands each datagram to
/// a random one of the first `count` sockets of the group, so that one busy sender keeps every
/// listener busy instead of the one its address hashes to. Returns 0, or -1 with errno.
int lm_spread_reuseport_group(int fd, unsigned count);

#endif
