// oneDNN's C API (Debian: libdnnl-dev), built on OpenMP: threads are set per calling thread.
#include <oneapi/dnnl/dnnl.h>
void omp_set_num_threads(int);
int omp_get_max_threads(void);
