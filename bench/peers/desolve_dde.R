# deSolve::dede peer for bench/suites/dde-solve.ts.
# Usage: Rscript desolve_dde.R <mg|hairer> <tol> <reps> <R|C> [shared-object]
# Prints one JSON line: {"ms": wall time per solve in ms (best of 3 batches of reps), "y": [[state 1 at the output times], ...]}.
suppressMessages(library(deSolve))
args <- commandArgs(trailingOnly = TRUE)
prob <- args[1]; tol <- as.numeric(args[2]); reps <- as.integer(args[3]); mode <- args[4]
if (prob == "mg") {
  times <- seq(0, 500, by = 1); y0 <- c(0.5)
  rhs <- function(t, y, p) {
    z <- if (t > 17) lagvalue(t - 17) else 0.5
    list(0.2 * z / (1 + z^10) - 0.1 * y)
  }
  cname <- "mg_derivs"
} else {
  times <- seq(0, 40, by = 0.5); y0 <- c(5, 0.1, 1)
  rhs <- function(t, y, p) {
    z1 <- if (t > 1) lagvalue(t - 1, 2) else 0.1
    z10 <- if (t > 10) lagvalue(t - 10, 2) else 0.1
    list(c(-y[1] * z1 + z10, y[1] * z1 - y[2], y[2] - z10))
  }
  cname <- "hairer_derivs"
}
if (mode == "C") {
  so <- args[5]
  dyn.load(so)
  dll <- sub("\\.[^.]*$", "", basename(so))
  run <- function() dede(y0, times, func = cname, parms = c(0), dllname = dll, initfunc = "initmod",
                         rtol = tol, atol = tol, control = list(mxhist = 1e6))
} else {
  run <- function() dede(y0, times, func = rhs, parms = NULL, rtol = tol, atol = tol, control = list(mxhist = 1e6))
}
out <- run()
# best of 3 batches of `reps` solves (proc.time has millisecond resolution)
best <- Inf
for (b in 1:3) {
  t0 <- proc.time()[["elapsed"]]
  for (r in seq_len(reps)) out <- run()
  best <- min(best, (proc.time()[["elapsed"]] - t0) / reps)
}
cols <- sapply(seq_along(y0), function(i) paste0("[", paste(format(out[, i + 1], digits = 17), collapse = ","), "]"))
cat(sprintf('{"ms": %.6f, "y": [%s]}\n', best * 1000, paste(cols, collapse = ",")))
