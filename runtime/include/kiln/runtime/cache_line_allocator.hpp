// An allocator whose blocks start on a 64-byte cache line. A tensor whose pixels start anywhere
// else makes every full-width AVX-512 load and store of a kernel straddle two lines.
#pragma once

#include <cstddef>
#include <new>

namespace kiln {

template <class T>
struct CacheLineAllocator {
    using value_type = T;
    static constexpr std::size_t line = 64;

    CacheLineAllocator() = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n > std::size_t(-1) / sizeof(T)) throw std::bad_alloc();
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(line)));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t(line)); }

    template <class U>
    bool operator==(const CacheLineAllocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const CacheLineAllocator<U>&) const noexcept {
        return false;
    }
};

}  // namespace kiln
