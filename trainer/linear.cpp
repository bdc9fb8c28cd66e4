#include "linear.h"

#include <string>

#include "matmul.h"

namespace gomhc::trainer {

namespace {

struct LinearShape {
    int64_t n, in, out;
};

// The shape of y = x W^T, checked: x [n][in], W [out][in], y [n][out].
LinearShape linear_shape(const char *op, const TensorView &x, const TensorView &w,
                         const TensorView &y) {
    const Shape &xs = x.shape(), &ws = w.shape(), &ys = y.shape();
    if (xs.size() != 2 || ws.size() != 2 || ys.size() != 2 || xs[1] != ws[1] || ys[0] != xs[0] ||
        ys[1] != ws[0]) {
        throw InvalidArgument(std::string(op) + ": x " + x.shape_string() + ", W " +
                              w.shape_string() + " and y " + y.shape_string() +
                              " are not [n][in], [out][in] and [n][out]");
    }
    return {xs[0], xs[1], ws[0]};
}

void check_same_shape(const char *op, const char *what, const TensorView &got,
                      const TensorView &want) {
    if (got.shape() != want.shape()) {
        throw InvalidArgument(std::string(op) + ": " + what + " is " + got.shape_string() +
                              ", expected " + want.shape_string());
    }
}

}  // namespace

void linear_forward(const TensorView &x, const TensorView &w, const TensorView &y) {
    const LinearShape s = linear_shape("linear_forward", x, w, y);
    matmul(x.device(), s.n, s.out, s.in, 1.0f, matrix(x, 0, s.in), matrix(w, 0, s.in, true), 0.0f,
           matrix(y, 0, s.out));
}

void linear_backward(const TensorView &dy, const TensorView &x, const TensorView &w,
                     const TensorView &dx, const TensorView &dw) {
    const LinearShape s = linear_shape("linear_backward", x, w, dy);
    check_same_shape("linear_backward", "dx", dx, x);
    check_same_shape("linear_backward", "dW", dw, w);
    matmul(dy.device(), s.n, s.in, s.out, 1.0f, matrix(dy, 0, s.out), matrix(w, 0, s.in), 0.0f,
           matrix(dx, 0, s.in));
    matmul(dy.device(), s.out, s.in, s.n, 1.0f, matrix(dy, 0, s.out, true), matrix(x, 0, s.in),
           1.0f, matrix(dw, 0, s.in));
}

}  // namespace gomhc::trainer
