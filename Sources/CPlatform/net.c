#define _GNU_SOURCE
#include "lm_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

enum { max_batch = 256 };

int lm_receive_datagrams(int fd, unsigned char *buffers, size_t buffer_size, unsigned count,
                         size_t *lengths, int *truncated, unsigned char *senders, int wait_for_one) {
    struct mmsghdr messages[max_batch];
    struct iovec vectors[max_batch];
    if (count > max_batch) count = max_batch;
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = buffers + i * buffer_size;
        vectors[i].iov_len = buffer_size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = senders + i * LM_SENDER_SIZE;
        messages[i].msg_hdr.msg_namelen = LM_SENDER_SIZE;
    }
    int n = recvmmsg(fd, messages, count, wait_for_one ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    for (int i = 0; i < n; i++) {
        lengths[i] = messages[i].msg_len;
        truncated[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    return n;
}

int lm_format_sender(const unsigned char *sender, char *out, size_t out_size) {
    const struct sockaddr *address = (const struct sockaddr *)sender;
    char host[INET6_ADDRSTRLEN];
    int written;
    if (address->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sender;
        if (!inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host)) return -1;
        written = snprintf(out, out_size, "%s:%u", host, ntohs(v4->sin_port));
    } else if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sender;
        if (!inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host)) return -1;
        written = snprintf(out, out_size, "[%s]:%u", host, ntohs(v6->sin6_port));
    } else {
        return -1;
    }
    return written > 0 && (size_t)written < out_size ? 0 : -1;
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

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

long lm_send_segmented(int fd, const unsigned char *bytes, size_t length, unsigned short segment_size) {
    struct iovec vector = {.iov_base = (void *)bytes, .iov_len = length};
    union {
        char space[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1,
                             .msg_control = control.space, .msg_controllen = sizeof control.space};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_UDP;
    header->cmsg_type = UDP_SEGMENT;
    header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(header), &segment_size, sizeof segment_size);
    ssize_t n;
    do { n = sendmsg(fd, &message, 0); } while (n < 0 && errno == EINTR);
    return n;
}

int lm_spread_reuseport_group(int fd, unsigned count) {
    // A = random; A %= count; return A. An index the group does not have (a listener restarting)
    // makes the kernel fall back to its usual hash.
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)(SKF_AD_OFF + SKF_AD_RANDOM)),
        BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, count),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    struct sock_fprog program = {.len = sizeof code / sizeof code[0], .filter = code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program);
}
