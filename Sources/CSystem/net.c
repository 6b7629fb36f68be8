#define _GNU_SOURCE
#include "lm_net.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

enum { max_batch = 256 };

int lm_receive_datagrams(int fd, unsigned char *buffers, size_t buffer_size, unsigned count,
                         size_t *lengths, int *truncated, int wait_for_one) {
    struct mmsghdr messages[max_batch];
    struct iovec vectors[max_batch];
    if (count > max_batch) count = max_batch;
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = buffers + i * buffer_size;
        vectors[i].iov_len = buffer_size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, messages, count, wait_for_one ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    for (int i = 0; i < n; i++) {
        lengths[i] = messages[i].msg_len;
        truncated[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    return n;
}

int lm_send_datagrams(int fd, const unsigned char *buffers, const size_t *offsets, const size_t *lengths,
                      unsigned count) {
    struct mmsghdr messages[max_batch];
    struct iovec vectors[max_batch];
    if (count > max_batch) count = max_batch;
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = (void *)(buffers + offsets[i]);
        vectors[i].iov_len = lengths[i];
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int n;
    do { n = sendmmsg(fd, messages, count, 0); } while (n < 0 && errno == EINTR);
    return n;
}
