/* The worked example of SPEC section 2 through the installed C API. */
#include <gomhc.h>
#include <math.h>
#include <stdio.h>

int main(void) {
    const float params[1] = {1.0f / 3.0f};
    float q[4], h[4];
    if (gomhc_cayley_forward(1, 2, 1, params, q) != 0 ||
        gomhc_orthostochastic_forward(1, 2, 1, q, h) != 0) {
        fprintf(stderr, "consumer_c: %s\n", gomhc_last_error());
        return 1;
    }
    const float expected[4] = {0.64f, 0.36f, 0.36f, 0.64f};
    for (int i = 0; i < 4; i++) {
        if (fabsf(h[i] - expected[i]) > 1e-5f) {
            fprintf(stderr, "consumer_c: h[%d] = %f, expected %f\n", i, h[i], expected[i]);
            return 1;
        }
    }
    if (gomhc_cayley_forward(0, 2, 1, params, q) == 0) {
        fprintf(stderr, "consumer_c: tokens = 0 was accepted\n");
        return 1;
    }
    printf("consumer_c: H = [[%.2f, %.2f], [%.2f, %.2f]]; bad call says: %s\n", h[0], h[1], h[2],
           h[3], gomhc_last_error());
    return 0;
}
