// The OpenBLAS CBLAS interface (Debian: libopenblas-dev, pthread variant).
// OpenBLAS's cblas.h also declares openblas_set_num_threads / openblas_get_num_threads /
// openblas_get_corename / openblas_get_config, which CLIPTensor uses at run time.
#include <cblas.h>
