//! Keeping the server's resident memory low (glibc's allocator on Linux; elsewhere
//! nothing is done).
//!
//! What the memory benchmark (`cargo bench --bench memory`) showed: after 10,000 mixed
//! requests the server held 105–150 MB, and almost all of it was freed argon2id
//! working memory (19 MiB per login) kept by glibc. glibc serves a large allocation
//! with its own mapping and unmaps it on free, but each such free raises its mmap
//! threshold (up to 32 MiB), so from the second login on the 19 MiB came from a
//! thread's heap and stayed there. A fixed threshold keeps large buffers in their own
//! mappings, returned to the system as soon as they are freed (47–55 MB after the same
//! requests); `MALLOC_MMAP_THRESHOLD_` in the environment still overrides it.

/// Allocations from this size up get their own mapping, released on free.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 1 << 20;

/// Fixes glibc's mmap threshold (see the module comment). Call first thing in `main`,
/// before any other thread exists.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: mallopt only changes glibc's allocation parameters; it is called
        // before any other thread exists and with a documented parameter and value.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}

/// Gives the memory freed while starting (migrations, keyring, the dummy password
/// hash, the OpenAPI document) back to the system before serving.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
