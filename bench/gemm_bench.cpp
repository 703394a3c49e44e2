// fp32 matrix product of a BERT-base-sized FFN layer (250 tokens × 384 -> 1536, the shape of
// a 6-layer 384-d model) on OpenBLAS sgemm and on Eigen, one thread: the measurement behind
// src/embed's choice of OpenBLAS. Eigen runs with the flags the build uses (portable x86-64
// unless -march=native is added), OpenBLAS picks its kernel for the CPU at run time.
//
//   gemm_bench [reps]

#include <cblas.h>

#include <Eigen/Dense>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  openblas_set_num_threads(1);
  Eigen::setNbThreads(1);
  const int reps = argc > 1 ? std::atoi(argv[1]) : 200;
  const int m = 250, k = 384, n = 1536;
  std::vector<float> a(static_cast<std::size_t>(m) * k, 0.5f),
      b(static_cast<std::size_t>(n) * k, 0.25f), c(static_cast<std::size_t>(m) * n);
  const double flop = 2.0 * m * n * k * reps;
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a.data(), k, b.data(), k,
                0.0f, c.data(), n);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("OpenBLAS sgemm: %.1f GFLOP/s\n", flop / s / 1e9);
  using Rm = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<Rm> ea(a.data(), m, k), eb(b.data(), n, k), ec(c.data(), m, n);
  t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) ec.noalias() = ea * eb.transpose();
  s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("Eigen:          %.1f GFLOP/s\n", flop / s / 1e9);
  return 0;
}
