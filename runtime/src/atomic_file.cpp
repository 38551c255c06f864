// See atomic_file.hpp.
#include "kiln/runtime/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kiln/runtime/error.hpp"

namespace kiln {

namespace {

std::string directory_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A name beside `path` no other writer uses: this process's id and a counter.
std::string unique_temporary(const std::string& path) {
    static std::atomic<unsigned long> counter{0};
    return directory_of(path) + "/." + name_of(path) + "." + std::to_string(::getpid()) + "." + std::to_string(counter++) + ".partial";
}

std::string reason(int error) {
    switch (error) {
        case ENOSPC: return "no space left on the device";
        case EDQUOT: return "over the disk quota";
        case EFBIG: return "larger than the file-size limit";
        case EACCES:
        case EPERM: return "permission denied";
        case EISDIR: return "a directory is in the way";
        case ENOENT: return "no such directory";
        case EROFS: return "read-only file system";
        default: return std::strerror(error);
    }
}

// Refuses a directory in the way; the mode a file being replaced has (the new one keeps it), or -1.
int check_target(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return -1;
    if (S_ISDIR(st.st_mode)) throw Error("could not write " + path + ": a directory is in the way");
    return int(st.st_mode & 07777);
}

void sync_directory(const std::string& path) {
    const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return;  // the rename is done; only its durability across a power cut is at stake
    ::fsync(dir);
    ::close(dir);
}

void replace(const std::string& temporary, const std::string& path) {
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw Error("could not write " + path + ": " + reason(error));
    }
    sync_directory(path);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    const int mode = check_target(path_);
#ifdef O_TMPFILE
    // Named at commit through /proc/self/fd (linkat); without /proc, a named temporary from the start.
    if (::access("/proc/self/fd", F_OK) == 0) fd_ = ::open(directory_of(path_).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    unnamed_ = fd_ >= 0;
#endif
    if (fd_ < 0) {  // no O_TMPFILE here, or not on this file system
        named_temporary_ = unique_temporary(path_);
        fd_ = ::open(named_temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ < 0) fail("create a temporary beside it", errno);
    }
    // A new file gets 0666 less the umask, as any created file does; a replaced one keeps its mode.
    if (mode >= 0) ::fchmod(fd_, mode_t(mode));
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !named_temporary_.empty()) ::unlink(named_temporary_.c_str());
}

void AtomicFile::fail(const std::string& doing, int error) {
    if (fd_ >= 0) ::close(fd_), fd_ = -1;
    if (!named_temporary_.empty()) ::unlink(named_temporary_.c_str()), named_temporary_.clear();
    throw Error("could not write " + path_ + " (" + doing + "): " + reason(error));
}

void AtomicFile::write(const void* data, std::size_t bytes) {
    if (fd_ < 0 || committed_) throw Error("could not write " + path_ + ": the file is closed");
    const char* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::write(fd_, p, bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("writing", n < 0 ? errno : ENOSPC);
        p += n, bytes -= std::size_t(n);
    }
}

void AtomicFile::commit() {
    if (fd_ < 0 || committed_) throw Error("could not write " + path_ + ": the file is closed");
    if (::fsync(fd_) != 0) fail("flushing it to disk", errno);
    if (unnamed_) {
        // Named only now: linked to a unique name, then renamed over the target (linkat cannot replace).
        named_temporary_ = unique_temporary(path_);
        const std::string self = "/proc/self/fd/" + std::to_string(fd_);
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, named_temporary_.c_str(), AT_SYMLINK_FOLLOW) != 0) {
            named_temporary_.clear();
            fail("naming the finished file", errno);
        }
    }
    ::close(fd_), fd_ = -1;
    committed_ = true;
    replace(named_temporary_, path_);
}

void write_file_atomically(const std::string& path, std::string_view contents) {
    AtomicFile file(path);
    file.write(contents);
    file.commit();
}

void write_file_atomically(const std::string& path, const std::function<void(const std::string& temporary)>& write) {
    const int mode = check_target(path);
    const std::string temporary = unique_temporary(path);
    try {
        write(temporary);
        const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw Error("could not write " + path + ": the writer left no file");
        if (mode >= 0) ::fchmod(fd, mode_t(mode));  // a replaced file keeps its mode
        const bool synced = ::fsync(fd) == 0;
        const int error = errno;
        ::close(fd);
        if (!synced) throw Error("could not write " + path + " (flushing it to disk): " + reason(error));
    } catch (...) {
        ::unlink(temporary.c_str());
        throw;
    }
    replace(temporary, path);
}

}  // namespace kiln
