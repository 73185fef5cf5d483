#include "daemon/off_loop.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.hpp"

namespace amq {

std::size_t OffLoop::stop() {
    stopping_ = true;
    std::size_t running = jobs_.size();
    for (Job& job : jobs_) {
        job.thread.join();
        close(job.reader);
    }
    jobs_.clear();
    return running;
}

// The thread says it is done through a pipe the loop watches.
Status OffLoop::run(std::function<void()> work, std::function<void()> then) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return make_error(Errc::io, str_cat("pipe: ", std::strerror(errno)));
    auto job = jobs_.insert(jobs_.end(), Job{});
    job->reader = pipe_fds[0];
    job->watcher =
        Event::watch_fd(base_, pipe_fds[0], EV_READ,
                        [this, job, then = std::move(then)](short) { finish(job, then); });
    job->watcher.arm();
    job->thread = std::thread([work = std::move(work), notify = pipe_fds[1]] {
        work();
        char byte = 1;
        ssize_t ignored = write(notify, &byte, 1);
        (void)ignored;
        close(notify);
    });
    return {};
}

void OffLoop::finish(std::list<Job>::iterator job, const std::function<void()>& then) {
    job->thread.join();  // it wrote its byte and is ending
    close(job->reader);
    jobs_.erase(job);  // frees the watcher too: the callback running is a copy (event.cpp)
    then();
}

}  // namespace amq
