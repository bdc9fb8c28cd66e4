// A minimal CUDA driver API loader for the tests: allocate, copy, free.
//
// No CUDA headers are guaranteed on the build machine, so the few entry
// points the tests need are declared here and loaded from libcuda.so.1 with
// dlopen. The tests use the device-0 primary context, which is the context
// gomhc uses by default, so the memory they allocate is valid for the kernels.
#pragma once

#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gomhc_test {

class CudaDriver {
public:
    using CUresult = int;  // CUDA_SUCCESS == 0
    using CUdevice = int;
    using CUcontext = void *;
    using CUdeviceptr = unsigned long long;  // 64-bit builds only

    // Loaded once; ok() says whether it worked and error() why not.
    static CudaDriver &get() {
        static CudaDriver driver;
        return driver;
    }

    bool ok() const { return error_.empty(); }
    const std::string &error() const { return error_; }

    // Each returns "" on success, otherwise a description of the failure.
    std::string alloc(size_t bytes, void **ptr) {
        CUdeviceptr p = 0;
        // cuMemAlloc refuses 0 bytes; zero-size tensors still need a pointer.
        if (auto e = check(mem_alloc_(&p, bytes == 0 ? 4 : bytes), "cuMemAlloc"); !e.empty()) {
            return e;
        }
        *ptr = reinterpret_cast<void *>(static_cast<uintptr_t>(p));
        return "";
    }
    std::string free(void *ptr) {
        return check(mem_free_(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(ptr))),
                     "cuMemFree");
    }
    std::string upload(void *dst, const void *src, size_t bytes) {
        if (bytes == 0) {
            return "";
        }
        return check(htod_(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(dst)), src, bytes),
                     "cuMemcpyHtoD");
    }
    std::string download(void *dst, const void *src, size_t bytes) {
        if (bytes == 0) {
            return "";
        }
        return check(dtoh_(dst, static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(src)), bytes),
                     "cuMemcpyDtoH");
    }
    std::string synchronize() { return check(ctx_synchronize_(), "cuCtxSynchronize"); }

    CudaDriver(const CudaDriver &) = delete;
    CudaDriver &operator=(const CudaDriver &) = delete;

private:
    CudaDriver() { load(); }

    template<class F>
    bool sym(F *&fn, const char *name) {
        fn = reinterpret_cast<F *>(dlsym(lib_, name));
        if (fn == nullptr) {
            error_ = std::string("libcuda.so.1 lacks ") + name;
        }
        return fn != nullptr;
    }

    void load() {
        lib_ = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
        if (lib_ == nullptr) {
            const char *why = dlerror();
            error_ = std::string("dlopen(libcuda.so.1) failed: ") + (why ? why : "?");
            return;
        }
        if (!sym(init_, "cuInit") || !sym(device_get_, "cuDeviceGet") ||
            !sym(primary_retain_, "cuDevicePrimaryCtxRetain") ||
            !sym(ctx_set_current_, "cuCtxSetCurrent") ||
            !sym(ctx_synchronize_, "cuCtxSynchronize") || !sym(mem_alloc_, "cuMemAlloc_v2") ||
            !sym(mem_free_, "cuMemFree_v2") || !sym(htod_, "cuMemcpyHtoD_v2") ||
            !sym(dtoh_, "cuMemcpyDtoH_v2") || !sym(error_string_, "cuGetErrorString")) {
            return;
        }
        CUdevice device = 0;
        CUcontext context = nullptr;
        std::string e = check(init_(0), "cuInit");
        if (e.empty()) {
            e = check(device_get_(&device, 0), "cuDeviceGet");
        }
        if (e.empty()) {
            e = check(primary_retain_(&context, device), "cuDevicePrimaryCtxRetain");
        }
        if (e.empty()) {
            e = check(ctx_set_current_(context), "cuCtxSetCurrent");
        }
        error_ = e;
    }

    std::string check(CUresult r, const char *what) const {
        if (r == 0) {
            return "";
        }
        const char *text = nullptr;
        if (error_string_ != nullptr) {
            error_string_(r, &text);
        }
        return std::string(what) + " failed: " + std::to_string(r) + " " + (text ? text : "");
    }

    void *lib_ = nullptr;
    std::string error_;
    CUresult (*init_)(unsigned int) = nullptr;
    CUresult (*device_get_)(CUdevice *, int) = nullptr;
    CUresult (*primary_retain_)(CUcontext *, CUdevice) = nullptr;
    CUresult (*ctx_set_current_)(CUcontext) = nullptr;
    CUresult (*ctx_synchronize_)() = nullptr;
    CUresult (*mem_alloc_)(CUdeviceptr *, size_t) = nullptr;
    CUresult (*mem_free_)(CUdeviceptr) = nullptr;
    CUresult (*htod_)(CUdeviceptr, const void *, size_t) = nullptr;
    CUresult (*dtoh_)(void *, CUdeviceptr, size_t) = nullptr;
    CUresult (*error_string_)(CUresult, const char **) = nullptr;
};

}  // namespace gomhc_test
