// A cudart trainer's view of the C API: memory from cudaMalloc, a
// non-blocking stream of its own handed to gomhc_set_cuda_stream with the
// primary context (NULL), a layer step queued there, and only that stream
// synchronised before the results are read. Compared with the same step on
// the host. Without a usable GPU it prints "SKIP cuda: <reason>" and exits
// 77, which CTest reports as skipped.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "gomhc.h"

namespace {

int failures = 0;

void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAILED: %s (%s)\n", what, gomhc_last_error());
        failures++;
    }
}

}  // namespace

int main() {
    if (!gomhc_cuda_available()) {
        std::printf("SKIP cuda: %s\n", gomhc_last_error());
        return 77;
    }
    if (cudaSetDevice(0) != cudaSuccess) {
        std::printf("FAILED: cudaSetDevice(0)\n");
        return 1;
    }
    const int d = 4, s = 2;
    const int64_t tokens = 65, c = 32;
    const size_t xs = size_t(tokens * d * c), ys = size_t(tokens * c);
    std::vector<float> x(xs), g(xs);
    for (size_t i = 0; i < xs; i++) {
        x[i] = std::sin(0.37f * float(i));
        g[i] = std::cos(0.11f * float(i));
    }

    // The host step.
    gomhc_layer *host = nullptr;
    check(gomhc_layer_create("go", d, s, c, 3, &host) == GOMHC_OK, "host layer");
    std::vector<float> y(ys), x_next(xs), dx(xs), df(ys);
    check(gomhc_layer_pre(host, tokens, x.data(), y.data()) == GOMHC_OK, "host pre");
    check(gomhc_layer_post(host, tokens, x.data(), y.data(), x_next.data()) == GOMHC_OK,
          "host post");
    check(gomhc_layer_post_backward(host, tokens, g.data(), dx.data(), df.data()) == GOMHC_OK,
          "host post_backward");
    check(gomhc_layer_pre_backward(host, tokens, df.data(), dx.data()) == GOMHC_OK,
          "host pre_backward");

    // The same step on the trainer's stream, in cudaMalloc memory.
    cudaStream_t stream = nullptr;
    check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess,
          "cudaStreamCreateWithFlags");
    check(gomhc_set_cuda_stream(nullptr, stream) == GOMHC_OK, "gomhc_set_cuda_stream");
    gomhc_layer *device = nullptr;
    check(gomhc_layer_create_on("go", d, s, c, 3, GOMHC_DEVICE_CUDA, &device) == GOMHC_OK,
          "cuda layer");
    float *dev_x, *dev_g, *dev_y, *dev_xn, *dev_dx, *dev_df;
    for (float **p : {&dev_x, &dev_g, &dev_xn, &dev_dx}) {
        check(cudaMalloc(p, xs * sizeof(float)) == cudaSuccess, "cudaMalloc");
    }
    for (float **p : {&dev_y, &dev_df}) {
        check(cudaMalloc(p, ys * sizeof(float)) == cudaSuccess, "cudaMalloc");
    }
    cudaMemcpyAsync(dev_x, x.data(), xs * sizeof(float), cudaMemcpyHostToDevice, stream);
    cudaMemcpyAsync(dev_g, g.data(), xs * sizeof(float), cudaMemcpyHostToDevice, stream);
    check(gomhc_layer_pre(device, tokens, dev_x, dev_y) == GOMHC_OK, "cuda pre");
    check(gomhc_layer_post(device, tokens, dev_x, dev_y, dev_xn) == GOMHC_OK, "cuda post");
    check(gomhc_layer_post_backward(device, tokens, dev_g, dev_dx, dev_df) == GOMHC_OK,
          "cuda post_backward");
    check(gomhc_layer_pre_backward(device, tokens, dev_df, dev_dx) == GOMHC_OK,
          "cuda pre_backward");
    std::vector<float> xn_dev(xs), dx_dev(xs);
    cudaMemcpyAsync(xn_dev.data(), dev_xn, xs * sizeof(float), cudaMemcpyDeviceToHost, stream);
    cudaMemcpyAsync(dx_dev.data(), dev_dx, xs * sizeof(float), cudaMemcpyDeviceToHost, stream);
    check(cudaStreamSynchronize(stream) == cudaSuccess, "cudaStreamSynchronize");

    auto close = [](const std::vector<float> &a, const std::vector<float> &b) {
        float scale = 1.0f, worst = 0.0f;
        for (size_t i = 0; i < a.size(); i++) {
            scale = std::max(scale, std::abs(b[i]));
            worst = std::max(worst, std::abs(a[i] - b[i]));
        }
        std::printf("max |cuda - host| = %g (scale %g)\n", worst, scale);
        return worst <= 1e-4f * scale;
    };
    check(close(xn_dev, x_next), "x_next on the caller's stream matches the host");
    check(close(dx_dev, dx), "dx on the caller's stream matches the host");

    gomhc_set_cuda_stream(nullptr, nullptr);
    gomhc_layer_destroy(device);
    gomhc_layer_destroy(host);
    for (float *p : {dev_x, dev_g, dev_y, dev_xn, dev_dx, dev_df}) {
        cudaFree(p);
    }
    cudaStreamDestroy(stream);
    std::printf(failures ? "%d checks failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
