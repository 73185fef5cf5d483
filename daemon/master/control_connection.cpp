#include "daemon/master/control_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace amq {
namespace {

constexpr std::size_t kMaxPassedFds = 4;  // more than one request's worth is a broken client

}  // namespace

ControlConnection::ControlConnection(event_base* base, int fd, Handlers handlers)
    : fd_(fd), handlers_(std::move(handlers)) {
    read_event_ =
        Event::watch_fd(base, fd_, EV_READ | EV_PERSIST, [this](short) { on_readable(); });
    write_event_ = Event::watch_fd(base, fd_, EV_WRITE, [this](short) { on_writable(); });
    read_event_.arm();
}

ControlConnection::~ControlConnection() {
    read_event_ = Event();
    write_event_ = Event();
    for (int passed : passed_fds_) close(passed);
    if (fd_ >= 0) close(fd_);
}

void ControlConnection::on_readable() {
    char data[65536];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int passed;
            std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (passed_fds_.size() < kMaxPassedFds)
                passed_fds_.push_back(passed);
            else
                close(passed);
        }
    }
    if (n <= 0) return shut();
    decoder_.feed(std::string_view(data, static_cast<std::size_t>(n)));
    std::weak_ptr<char> alive = alive_;
    for (;;) {
        auto frame = decoder_.next();
        if (!frame) return shut();
        if (!frame->has_value()) return;
        int passed = -1;
        if (!passed_fds_.empty()) {
            passed = passed_fds_.front();
            passed_fds_.pop_front();
        }
        handlers_.on_frame(std::move(**frame), passed);
        if (alive.expired() || closed_ || closing_) return;
    }
}

void ControlConnection::send(std::string_view payload) {
    if (closed_) return;
    out_ += encode_frame(payload);
    on_writable();
}

void ControlConnection::on_writable() {
    while (!out_.empty()) {
        ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            write_event_.arm();
            return;
        }
        if (n < 0) return shut();
        out_.erase(0, static_cast<std::size_t>(n));
    }
    if (closing_) shut();
}

void ControlConnection::close_after_flush() {
    closing_ = true;
    read_event_.disarm();
    if (out_.empty()) shut();
}

void ControlConnection::shut() {
    if (closed_) return;
    closed_ = true;
    read_event_.disarm();
    write_event_.disarm();
    if (handlers_.on_close) handlers_.on_close();
}

}  // namespace amq
