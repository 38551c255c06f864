// The one way kiln writes a file: to a temporary beside the target, flushed and fsync'ed, renamed
// over the target, the directory fsync'ed. A crash, a kill, a full disk or a file-size limit while
// writing leaves the old file or the new one, never part of either, and an error names the file and
// the reason (no space, permission, a directory in the way) and leaves the old file as it was.
// On Linux the temporary has no name until it is complete (O_TMPFILE), so a process killed while
// writing leaves nothing behind; elsewhere it is a unique name beside the target.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace kiln {

class AtomicFile {
  public:
    // Opens the temporary for `path`; throws kiln::Error when the directory cannot take it.
    explicit AtomicFile(std::string path);
    ~AtomicFile();  // not committed: the temporary is dropped, the target untouched
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(const void* data, std::size_t bytes);  // throws kiln::Error
    void write(std::string_view text) { write(text.data(), text.size()); }
    // Flushes the data to disk, puts the file at the target path and flushes the directory entry.
    void commit();

    const std::string& path() const { return path_; }

  private:
    [[noreturn]] void fail(const std::string& doing, int error);
    std::string path_, named_temporary_;
    int fd_ = -1;
    bool unnamed_ = false;  // an O_TMPFILE file, named only when committed
    bool committed_ = false;
};

// `contents` written to `path` as above.
void write_file_atomically(const std::string& path, std::string_view contents);

// For writers that take a path (Halide's outputs): `write(temporary)` writes a uniquely named
// temporary beside `path`, which is then fsync'ed and renamed over it; a failure removes it.
void write_file_atomically(const std::string& path, const std::function<void(const std::string& temporary)>& write);

}  // namespace kiln
