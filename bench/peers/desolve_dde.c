/* Compiled right-hand sides for deSolve::dede (the bench peer of bench/suites/dde-solve.ts).
 * Built at bench time with `R CMD SHLIB` into a temporary directory. Lags come from deSolve's C API (lagvalue);
 * before t0 the constant history is used, as in the R versions of the same models. */
#include <R.h>
#include <R_ext/Rdynload.h>
#include <math.h>

static double parms[1];

static void lagvalue(double T, int *nr, int N, double *ytau) {
  static void (*fun)(double, int *, int, double *) = NULL;
  if (fun == NULL) fun = (void (*)(double, int *, int, double *))R_GetCCallable("deSolve", "lagvalue");
  fun(T, nr, N, ytau);
}

void initmod(void (*odeparms)(int *, double *)) {
  int N = 1;
  odeparms(&N, parms);
}

/* Mackey-Glass: y' = 0.2 z / (1 + z^10) - 0.1 y, z = y(t - 17), phi = 0.5 */
void mg_derivs(int *neq, double *t, double *y, double *ydot, double *yout, int *ip) {
  double z = 0.5;
  int nr[1] = {0};
  if (*t > 17) lagvalue(*t - 17, nr, 1, &z);
  ydot[0] = 0.2 * z / (1 + pow(z, 10)) - 0.1 * y[0];
}

/* Hairer's infectious disease model: lags 1 and 10 on y2, phi = (5, 0.1, 1) */
void hairer_derivs(int *neq, double *t, double *y, double *ydot, double *yout, int *ip) {
  double z1 = 0.1, z10 = 0.1;
  int nr[1] = {1};
  if (*t > 1) lagvalue(*t - 1, nr, 1, &z1);
  if (*t > 10) lagvalue(*t - 10, nr, 1, &z10);
  ydot[0] = -y[0] * z1 + z10;
  ydot[1] = y[0] * z1 - y[1];
  ydot[2] = y[1] - z10;
}
