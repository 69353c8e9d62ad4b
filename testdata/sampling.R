# Golden values for package sampling: sample sizes, allocations and
# inclusion probabilities. Run from the repository root:
#
#   Rscript testdata/sampling.R
#
# It writes testdata/sampling/*.csv (numbers with sprintf("%.17g")) and
# testdata/sampling/versions.txt. Inclusion probabilities come from R package
# `sampling` (Tillé); sizes and allocations are the formulas of METHODOLOGY §5
# written here independently of the Go code.
suppressPackageStartupMessages(library(sampling))
out <- "testdata/sampling"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
num <- function(x) sprintf("%.17g", x)

writeLines(c(R.version.string,
             paste("sampling", as.character(packageVersion("sampling")))),
           file.path(out, "versions.txt"))

## 1. Inclusion probabilities: sampling::inclusionprobabilities ----------------
set.seed(20240701)
cases <- list(
  list(name = "plain", a = 1:10, n = 3),
  # three rounds of certainty units: 100, then 50, then 30
  list(name = "three_rounds", a = c(100, 50, 30, 10, 5, 3, 2, 1, 1, 1), n = 4),
  # two certainty units in the first round, one more in the second
  list(name = "two_then_one", a = c(500, 400, 90, 40, 30, 20, 10, 5, 3, 2), n = 5),
  list(name = "with_zeros", a = c(0, 5, 0, 20, 1, 1, 1, 2), n = 3),
  list(name = "lognormal50", a = round(rlnorm(50, 5, 1.5)), n = 12),
  list(name = "districts", a = c(52000, 8100, 7300, 6600, 5200, 4100, 3900, 2500, 1800), n = 3)
)
rows <- character()
for (cs in cases) {
  pik <- inclusionprobabilities(cs$a, cs$n)
  rows <- c(rows, sprintf("%s,%d,%d,%s,%s", cs$name, cs$n, seq_along(cs$a), num(cs$a), num(pik)))
}
writeLines(c("case,n,i,a,pik", rows), file.path(out, "inclusionprobabilities.csv"))

## 2. Sample sizes --------------------------------------------------------------
# The Go code rounds up with a tolerance: a value within 1e-9 (relative)
# above an integer is that integer.
ceil_tol <- function(x) ceiling(x - 1e-9 * pmax(1, abs(x)))
yamane <- function(N, e) N / (1 + N * e^2)
cochran <- function(N, e, p, level, deff) {
  z <- qnorm(1 - (1 - level) / 2)
  n0 <- z^2 * p * (1 - p) / e^2 * deff
  if (N <= 0) n0 else n0 / (1 + (n0 - 1) / N)
}
size_rule <- function(base, rate, mn, mx) {
  n <- base / rate
  if (mn > 0 && n < mn) n <- mn
  if (mx > 0 && n > mx) n <- mx
  ceil_tol(n)
}
sz <- expand.grid(N = c(0, 50, 400, 1000, 12345, 250000, 3e7), e = c(0.05, 0.03, 0.1))
rows <- character()
for (i in seq_len(nrow(sz))) {
  N <- sz$N[i]; e <- sz$e[i]
  if (N > 0) {
    y <- yamane(N, e)
    rows <- c(rows, sprintf("yamane,%s,%s,0.5,0.95,1,1,0,0,%s,%d", num(N), num(e), num(y), size_rule(y, 1, 0, 0)))
    rows <- c(rows, sprintf("yamane,%s,%s,0.5,0.95,1,0.8,30,0,%s,%d", num(N), num(e), num(y), size_rule(y, 0.8, 30, 0)))
  }
  for (p in c(0.5, 0.3)) for (level in c(0.95, 0.9, 0.99)) for (deff in c(1, 1.5)) {
    cz <- cochran(N, e, p, level, deff)
    rows <- c(rows, sprintf("moe,%s,%s,%s,%s,%s,1,0,0,%s,%d", num(N), num(e), num(p), num(level), num(deff), num(cz), size_rule(cz, 1, 0, 0)))
    rows <- c(rows, sprintf("moe,%s,%s,%s,%s,%s,0.75,0,400,%s,%d", num(N), num(e), num(p), num(level), num(deff), num(cz), size_rule(cz, 0.75, 0, 400)))
  }
}
writeLines(c("method,N,e,p,level,deff,rate,min,max,base,n", rows), file.path(out, "sizes.csv"))

# Expected margin of error from n completes out of N (the inverse of Cochran).
moe <- function(n, N, p, level, deff) {
  z <- qnorm(1 - (1 - level) / 2)
  v <- deff * p * (1 - p) / n
  if (N > 1) v <- v * (N - n) / (N - 1)
  z * sqrt(v)
}
mg <- expand.grid(n = c(30, 200, 385, 1000), N = c(0, 1000, 50000), deff = c(1, 1.5, 2.2), level = c(0.95, 0.9))
rows <- sprintf("%s,%s,0.5,%s,%s,%s", num(mg$n), num(mg$N), num(mg$level), num(mg$deff),
                num(mapply(moe, mg$n, mg$N, 0.5, mg$level, mg$deff)))
writeLines(c("n,N,p,level,deff,moe", rows), file.path(out, "moe.csv"))

## 3. Allocation ----------------------------------------------------------------
# Continuous allocation n_h = R a_h / sum(free a) with bounds lo = min(min, N_h),
# hi = min(max, N_h): fix all strata above hi at hi (repeat), then those below
# lo at lo, and share the rest again until no stratum violates its bounds.
alloc_weights <- function(method, N, sd, cost, q) {
  switch(method,
         equal = rep(1, length(N)),
         proportional = N,
         neyman = N * sd,
         optimal = N * sd / sqrt(cost),
         power = N^q)
}
alloc_float <- function(n, method, N, sd, cost, q, mn, mx) {
  w <- alloc_weights(method, N, sd, cost, q)
  hi <- if (mx > 0) pmin(N, mx) else N
  lo <- pmin(mn, N)
  if (n <= sum(lo)) return(lo)
  stopifnot(n <= sum(hi))
  state <- rep("free", length(N))
  repeat {
    R <- n - sum(lo[state == "lo"]) - sum(hi[state == "hi"])
    W <- sum(w[state == "free"])
    x <- ifelse(state == "lo", lo, ifelse(state == "hi", hi, R * w / W))
    over <- state == "free" & x > hi * (1 + 1e-12)
    if (any(over)) { state[over] <- "hi"; next }
    under <- state == "free" & x < lo * (1 - 1e-12)
    if (any(under)) { state[under] <- "lo"; next }
    return(x)
  }
}
# Largest remainder (Hamilton): floors, then one more unit each to the largest
# fractional parts, ties (within 1e-9) to the stratum whose key sorts first.
alloc_round <- function(x, keys) {
  f <- floor(x + 1e-9)
  fr <- pmax(x - f, 0)
  left <- round(sum(x)) - sum(f)
  if (left > 0) {
    # sort by fraction descending; treat fractions within 1e-9 as ties (the
    # test cases have either exact ties or differences far above 1e-9)
    ord <- order(-round(fr, 9), keys, method = "radix")
    f[ord[seq_len(left)]] <- f[ord[seq_len(left)]] + 1
  }
  f
}
strata_sets <- list(
  five = data.frame(key = c("A", "B", "C", "D", "E"), N = c(12000, 3400, 560, 45, 8800),
                    sd = c(0.45, 0.5, 0.3, 0.49, 0.2), cost = c(1, 1.5, 4, 9, 1.2)),
  ties = data.frame(key = c("b", "a", "d", "c"), N = c(100, 100, 100, 100),
                    sd = c(1, 1, 1, 1), cost = c(1, 1, 1, 1)),
  levels = data.frame(key = c("Hà Giang:commune", "Hà Giang:district", "Hà Giang:province"),
                      N = c(61000, 23000, 900), sd = c(0.4, 0.45, 0.5), cost = c(2, 1.5, 1))
)
specs <- list(
  list(method = "equal", q = 0, mn = 0, mx = 0),
  list(method = "proportional", q = 0, mn = 0, mx = 0),
  list(method = "proportional", q = 0, mn = 30, mx = 0),
  list(method = "proportional", q = 0, mn = 50, mx = 300),
  list(method = "neyman", q = 0, mn = 0, mx = 0),
  list(method = "neyman", q = 0, mn = 20, mx = 0),
  list(method = "optimal", q = 0, mn = 0, mx = 0),
  list(method = "optimal", q = 0, mn = 25, mx = 250),
  list(method = "power", q = 0.5, mn = 0, mx = 0),
  list(method = "power", q = 0.35, mn = 30, mx = 0)
)
rows <- character()
for (sn in names(strata_sets)) {
  st <- strata_sets[[sn]]
  for (n in c(7, 101, 400, 1000)) for (sp in specs) {
    hi <- if (sp$mx > 0) pmin(st$N, sp$mx) else st$N
    if (n > sum(hi)) next
    x <- alloc_float(n, sp$method, st$N, st$sd, st$cost, sp$q, sp$mn, sp$mx)
    r <- alloc_round(x, st$key)
    rows <- c(rows, sprintf("%s,%d,%s,%s,%d,%d,%s,%s,%d", sn, n, sp$method, num(sp$q), sp$mn, sp$mx,
                            st$key, num(x), as.integer(r)))
  }
}
writeLines(c("set,n,method,q,min,max,key,x,n_h", rows), file.path(out, "allocation.csv"))
for (sn in names(strata_sets)) {
  write.csv(strata_sets[[sn]], file.path(out, paste0("strata_", sn, ".csv")), row.names = FALSE, fileEncoding = "UTF-8")
}

## 4. A small register and the probabilities of the multi-stage design -------
# DESIGN (sampling/testdata use): strata province x level; Yamane e = 0.1 by
# province, response rate 0.9, proportional allocation with min 10; stage 1
# districts PPS (size = rows) n = 3 with the capital (D01) for certain; stage 2
# communes PPS n = 2 per selected district; rows systematic by field.
set.seed(42)
rows <- list()
for (p in c("P1", "P2", "P3")) {
  nd <- sample(5:8, 1)
  for (d in seq_len(nd)) {
    nc <- sample(2:5, 1)
    for (cc in seq_len(nc)) for (lv in c("commune", "district")) {
      r <- sample(15:45, 1)
      rows[[length(rows) + 1]] <- data.frame(
        province = p, level = lv, district = sprintf("%s-D%02d", p, d),
        commune = sprintf("%s-D%02d-C%02d", p, d, cc),
        field = sample(c("land", "civil", "business"), r, TRUE),
        is_capital = d == 1)
    }
  }
}
frame <- do.call(rbind, rows)
frame$id <- seq_len(nrow(frame))
frame$is_capital <- ifelse(frame$is_capital, "true", "false")
write.csv(frame[, c("id", "province", "level", "district", "commune", "field", "is_capital")],
          file.path(out, "frame_small.csv"), row.names = FALSE, quote = FALSE)

pik_rows <- character()
for (p in unique(frame$province)) for (lv in unique(frame$level)) {
  s <- frame[frame$province == p & frame$level == lv, ]
  st <- paste(p, lv, sep = ":")
  dsz <- table(s$district)
  dn <- names(dsz)
  cap <- dn %in% unique(s$district[s$is_capital == "true"])
  pik <- numeric(length(dn))
  pik[cap] <- 1
  pik[!cap] <- inclusionprobabilities(as.numeric(dsz[!cap]), 3 - sum(cap))
  pik_rows <- c(pik_rows, sprintf("%s,1,%s,%s", st, dn, num(pik)))
  for (d in dn) {
    csz <- table(s$commune[s$district == d])
    cp <- inclusionprobabilities(as.numeric(csz), min(2, length(csz)))
    pik_rows <- c(pik_rows, sprintf("%s,2,%s,%s", st, names(csz), num(cp)))
  }
}
writeLines(c("stratum,stage,unit,pik", pik_rows), file.path(out, "frame_small_pik.csv"))

nh_rows <- character()
for (p in unique(frame$province)) {
  Np <- sum(frame$province == p)
  n <- size_rule(yamane(Np, 0.1), 0.9, 0, 0)
  lv <- sort(unique(frame$level))
  Nh <- sapply(lv, function(l) sum(frame$province == p & frame$level == l))
  x <- alloc_float(n, "proportional", Nh, 0, 0, 0, 10, 0)
  r <- alloc_round(x, paste(p, lv, sep = ":"))
  nh_rows <- c(nh_rows, sprintf("%s:%s,%d,%d", p, lv, Nh, as.integer(r)))
}
writeLines(c("stratum,N,n", nh_rows), file.path(out, "frame_small_n.csv"))
