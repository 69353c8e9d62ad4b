# Golden values for the trend machinery of package index (METHODOLOGY §8,
# issue 6): multiplicity corrections, changes between years and rank
# confidence sets. Run from the repository root:
#
#   Rscript testdata/trend.R
#
# It writes testdata/trend/*.csv (numbers with sprintf("%.17g"), NA for a
# null) and testdata/trend/versions.txt.
#
#  * padjust.csv   — R stats::p.adjust(method = "holm" / "BH").
#  * changes.csv   — a multi-year series of estimates and SEs for a few
#                    domains and the nation, with the changes against the
#                    previous year and the base year, SE sqrt(se1²+se2²),
#                    two-sided normal p-values (pnorm) and their Holm / BH
#                    adjustment across the domains of one index, year and
#                    comparison (national rows outside the family).
#  * rankcrit.csv  — critical values of the Mogstad, Romano, Shaikh &
#                    Wilhelm (2024) rank confidence sets computed exactly
#                    (up to mvtnorm's quasi-Monte Carlo error) with
#                    mvtnorm::qmvnorm(tail = "both.tails") instead of the
#                    parametric bootstrap the Go code uses, and the
#                    resulting marginal and simultaneous sets, single-step
#                    and stepdown.
suppressPackageStartupMessages(library(mvtnorm))
out <- "testdata/trend"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

writeLines(c(R.version.string,
             paste("mvtnorm", as.character(packageVersion("mvtnorm")))),
           file.path(out, "versions.txt"))

## 1. p.adjust ------------------------------------------------------------------
set.seed(20261123)
cases <- list(
  uniform20 = runif(20),
  small = c(0.01, 0.02, 0.03, 0.04, 0.05),
  ties = c(0.01, 0.5, 0.01, 0.03, 1, 0.03, 0.5),
  with_na = c(0.02, NA, 0.001, 0.04, NA, 0.2, 0.0004),
  provinces63 = sample(c(rbeta(10, 0.2, 5), runif(53))),
  single = 0.03,
  large = c(0.9, 0.95, 0.99, 0.3),
  all_na = c(NA, NA)
)
rows <- character()
for (nm in names(cases)) {
  p <- cases[[nm]]
  rows <- c(rows, sprintf("%s,%d,%s,%s,%s", nm, seq_along(p), num(p),
                          num(p.adjust(p, "holm")), num(p.adjust(p, "BH"))))
}
writeLines(c("case,i,p,holm,bh", rows), file.path(out, "padjust.csv"))

## 2. Changes between years -------------------------------------------------------
# Domains A..F and the nation (""), two indices, years 2019..2022; E has no
# estimate in 2020 (its 2021 change is against 2019, its previous observed
# year); F starts in 2021 (no base-year change at all); base year 2019.
set.seed(7)
years <- 2019:2022
doms <- c("", "A", "B", "C", "D", "E", "F")
idx <- data.frame(kind = c("sipas", "element"), id = c("sipas", "access"))
d <- expand.grid(domain = doms, year = years, ix = 1:2, stringsAsFactors = FALSE)
d <- d[!(d$domain == "E" & d$year == 2020), ]
d <- d[!(d$domain == "F" & d$year < 2021), ]
d$kind <- idx$kind[d$ix]
d$id <- idx$id[d$ix]
d$national <- d$domain == ""
trend <- c(A = 0, B = 1.5, C = -1, D = 3, E = 0.5, F = 2)
lvl <- c(A = 80, B = 75, C = 82, D = 70, E = 78, F = 76)
d$estimate <- ifelse(d$national, 77, lvl[d$domain]) +
  ifelse(d$national, 0.8, trend[d$domain]) * (d$year - 2019) +
  rnorm(nrow(d), 0, 1.5)
d$se <- ifelse(d$national, 0.4, runif(nrow(d), 0.6, 2.4))
d$vs_nation <- ifelse(d$national, NA, rnorm(nrow(d), 0, 3))
d$se_vs_nation <- ifelse(d$national, NA, runif(nrow(d), 0.5, 2.5))
d <- d[order(d$ix, d$year, d$domain), ]
d$ix <- NULL

key <- function(dom, kind, id, year) paste(dom, kind, id, year, sep = "|")
rownames(d) <- key(d$domain, d$kind, d$id, d$year)
comp <- function(r, y0) {
  if (is.na(y0)) return(c(NA, NA, NA))
  k <- key(r$domain, r$kind, r$id, y0)
  if (!(k %in% rownames(d))) return(c(NA, NA, NA))
  o <- d[k, ]
  ch <- r$estimate - o$estimate
  se <- sqrt(r$se^2 + o$se^2)
  c(ch, se, 2 * pnorm(-abs(ch / se)))
}
res <- t(sapply(seq_len(nrow(d)), function(i) {
  r <- d[i, ]
  ys <- d$year[d$domain == r$domain & d$kind == r$kind & d$id == r$id & d$year < r$year]
  prev <- if (length(ys)) max(ys) else NA
  base <- if (r$year > 2019) 2019 else NA
  pv <- if (r$national) NA else 2 * pnorm(-abs(r$vs_nation / r$se_vs_nation))
  c(comp(r, prev), comp(r, base), pv)
}))
colnames(res) <- c("change_prev", "se_change_prev", "p_change_prev",
                   "change_base", "se_change_base", "p_change_base", "p_vs_nation")
d <- cbind(d, res)
# adjustment across the domains of one index, year and comparison
adj <- function(col, method) {
  a <- rep(NA_real_, nrow(d))
  fam <- paste(d$kind, d$id, d$year)
  for (f in unique(fam)) {
    s <- fam == f & !d$national
    a[s] <- p.adjust(d[[col]][s], method)
  }
  # national rows are outside the family: unadjusted
  a[d$national] <- d[[col]][d$national]
  a
}
for (col in c("p_change_prev", "p_change_base", "p_vs_nation")) {
  d[[paste0(col, "_holm")]] <- adj(col, "holm")
  d[[paste0(col, "_bh")]] <- adj(col, "BH")
}
cols <- names(d)
lines <- apply(d, 1, function(r) NULL)
lines <- vapply(seq_len(nrow(d)), function(i) {
  paste(vapply(cols, function(cn) {
    v <- d[[cn]][i]
    if (is.character(v)) v else if (is.logical(v)) tolower(as.character(v)) else num(v)
  }, ""), collapse = ",")
}, "")
writeLines(c(paste(cols, collapse = ","), lines), file.path(out, "changes.csv"))

## 3. Rank confidence sets -------------------------------------------------------
# Mogstad, Romano, Shaikh & Wilhelm (2024), §3: simultaneous confidence
# intervals for the differences θ_j − θ_k. Hypotheses are ordered pairs
# (a, b): H_ab: θ_a ≤ θ_b, rejected when t_ab = (θ̂_a − θ̂_b)/se_ab > c; the
# family of a marginal set of j is {(j, k), (k, j) : k ≠ j}, of the
# simultaneous sets all ordered pairs. c is the `level` quantile of the
# maximum of (Z_a − Z_b)/se_ab over the family, Z ~ N(0, Σ), computed here
# with mvtnorm instead of a bootstrap: qmvnorm(tail = "both.tails") when
# every pair is in the family in both orders (the first step), else the
# root of pmvnorm(lower, upper) = level with lower = −c / −Inf and
# upper = c / Inf per pair and order. rank_low = 1 + #{k: (k, j) rejected},
# rank_high = K − #{k: (j, k) rejected}. Stepdown: recompute c over the
# hypotheses not yet rejected until nothing new is rejected (Romano & Wolf
# 2005; the opposite order of a rejected pair stays in the family).
crit <- function(Sigma, hyps, level) {
  if (nrow(hyps) == 0) return(0)
  key <- function(a, b) paste(a, b)
  hk <- key(hyps[, 1], hyps[, 2])
  u <- unique(t(apply(hyps, 1, sort)))
  if (is.null(dim(u))) u <- matrix(u, ncol = 2)
  up <- key(u[, 1], u[, 2]) %in% hk   # (a, b), a < b: D ≤ c
  lo <- key(u[, 2], u[, 1]) %in% hk   # (b, a): −D ≤ c
  m <- nrow(u)
  C <- matrix(0, m, m)
  for (i in 1:m) for (j in 1:m) {
    a1 <- u[i, 1]; b1 <- u[i, 2]; a2 <- u[j, 1]; b2 <- u[j, 2]
    C[i, j] <- Sigma[a1, a2] - Sigma[a1, b2] - Sigma[b1, a2] + Sigma[b1, b2]
  }
  s <- sqrt(diag(C))
  R <- C / outer(s, s)
  if (m == 1) return(if (up && lo) qnorm(1 - (1 - level) / 2) else qnorm(level))
  alg <- GenzBretz(maxpts = 2e5, abseps = 1e-5)
  if (all(up & lo)) {
    set.seed(1)
    return(qmvnorm(level, tail = "both.tails", corr = R, algorithm = alg)$quantile)
  }
  f <- function(c) {
    set.seed(1)
    pmvnorm(lower = ifelse(lo, -c, -Inf), upper = ifelse(up, c, Inf), corr = R,
            algorithm = alg)[1] - level
  }
  uniroot(f, c(0, 8), tol = 1e-7)$root
}
rankset <- function(est, Sigma, level, family, stepdown) {
  K <- length(est)
  tstat <- function(a, b) (est[a] - est[b]) / sqrt(Sigma[a, a] + Sigma[b, b] - 2 * Sigma[a, b])
  run <- function(hyps) {
    t <- apply(hyps, 1, function(h) tstat(h[1], h[2]))
    rej <- rep(FALSE, nrow(hyps))
    c0 <- NA
    repeat {
      cc <- crit(Sigma, hyps[!rej, , drop = FALSE], level)
      if (is.na(c0)) c0 <- cc
      new <- !rej & t > cc
      if (!any(new)) break
      rej <- rej | new
      if (!stepdown) break
    }
    list(rej = rej, c0 = c0, margin = min(abs(t - c0)))
  }
  res <- matrix(NA, K, 4)
  if (family == "marginal") {
    for (j in 1:K) {
      o <- setdiff(1:K, j)
      hyps <- rbind(cbind(j, o), cbind(o, j))
      r <- run(hyps)
      res[j, ] <- c(1 + sum(r$rej & hyps[, 2] == j), K - sum(r$rej & hyps[, 1] == j), r$c0, r$margin)
    }
    return(res)
  }
  hyps <- as.matrix(expand.grid(a = 1:K, b = 1:K))
  hyps <- hyps[hyps[, 1] != hyps[, 2], ]
  r <- run(hyps)
  for (j in 1:K) {
    res[j, ] <- c(1 + sum(r$rej & hyps[, 2] == j), K - sum(r$rej & hyps[, 1] == j), r$c0, r$margin)
  }
  res
}
rcases <- list(
  diag6 = list(est = c(81.2, 76.4, 79.9, 70.3, 77.1, 74.0),
               Sigma = diag(c(1.1, 0.8, 1.6, 1.3, 0.7, 2.0)^2)),
  corr5 = local({
    s <- c(1.2, 0.9, 1.5, 1.0, 1.3)
    R <- matrix(0.3, 5, 5); diag(R) <- 1; R[1, 2] <- R[2, 1] <- 0.6
    list(est = c(65.0, 69.5, 71.8, 60.2, 66.0), Sigma = R * outer(s, s))
  })
)
rows <- character()
for (nm in names(rcases)) {
  cs <- rcases[[nm]]
  K <- length(cs$est)
  for (fam in c("marginal", "simultaneous")) for (sd in c(FALSE, TRUE)) {
    r <- rankset(cs$est, cs$Sigma, 0.95, fam, sd)
    rows <- c(rows, sprintf("%s,%s,%s,%d,%d,%d,%s,%s", nm, fam, tolower(sd), 1:K,
                            r[, 1], r[, 2], num(r[, 3]), num(r[, 4])))
  }
}
writeLines(c("case,family,stepdown,j,rank_low,rank_high,crit,margin", rows),
           file.path(out, "rankcrit.csv"))
mat <- character()
for (nm in names(rcases)) {
  cs <- rcases[[nm]]
  K <- length(cs$est)
  for (j in 1:K) mat <- c(mat, sprintf("%s,%d,%s,%s", nm, j, num(cs$est[j]),
                                       paste(num(cs$Sigma[j, ]), collapse = ";")))
}
writeLines(c("case,j,estimate,sigma_row", mat), file.path(out, "rankinput.csv"))

## 4. Domain minus nation ----------------------------------------------------------
# A stratified cluster sample (4 strata, 5-8 PSUs each, unequal weights) with
# three criteria (valid answers x_c, satisfied y_c, some missing) and
# domains (provinces) that cut across strata. For every domain g, criterion
# and composite: the difference R_g − R (domain ratio minus national ratio)
# and its linearized SE, from svyratio(covmat = TRUE) on the domain-zeroed
# and national variables and svycontrast — the influence values of the
# difference, which account for the domain being part of the nation.
# Composites: element A = (c1 + c2)/2, overall = (A + c3)/2.
suppressPackageStartupMessages(library(survey))
writeLines(c(R.version.string,
             paste("mvtnorm", as.character(packageVersion("mvtnorm"))),
             paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
set.seed(99)
np <- c(5, 6, 8, 5)
psus <- data.frame(stratum = rep(1:4, np))
psus$psu <- seq_len(nrow(psus))
psus$m <- sample(6:14, nrow(psus), replace = TRUE)
dat <- psus[rep(seq_len(nrow(psus)), psus$m), c("stratum", "psu")]
n <- nrow(dat)
dat$weight <- round(runif(n, 20, 80) * dat$stratum, 3)
dat$domain <- sample(c("P1", "P2", "P3"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2))
peff <- rnorm(max(dat$psu), 0, 0.6)[dat$psu]
for (c in 1:3) {
  valid <- runif(n) > 0.1
  sat <- runif(n) < plogis(0.5 + 0.3 * c + peff + 0.4 * (dat$domain == "P2"))
  dat[[paste0("x", c)]] <- as.numeric(valid)
  dat[[paste0("y", c)]] <- as.numeric(valid & sat)
}
write.csv(dat, file.path(out, "vsnation_data.csv"), row.names = FALSE, quote = FALSE)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = dat)
comps <- list(c1 = c(1, 0, 0), c2 = c(0, 1, 0), c3 = c(0, 0, 1),
              A = c(0.5, 0.5, 0), overall = c(0.25, 0.25, 0.5))
rows <- character()
for (g in c("P1", "P2", "P3")) {
  d2 <- des
  for (c in 1:3) {
    d2 <- update(d2, tmpy = get(paste0("y", c)) * (domain == g),
                 tmpx = get(paste0("x", c)) * (domain == g))
    names(d2$variables)[names(d2$variables) == "tmpy"] <- paste0("gy", c)
    names(d2$variables)[names(d2$variables) == "tmpx"] <- paste0("gx", c)
  }
  r <- svyratio(~gy1 + gy2 + gy3 + y1 + y2 + y3, ~gx1 + gx2 + gx3 + x1 + x2 + x3,
                d2, covmat = TRUE)
  nm <- names(coef(r))
  for (cn in names(comps)) {
    a <- comps[[cn]]
    w <- setNames(rep(0, length(nm)), nm)
    for (c in 1:3) {
      w[paste0("gy", c, "/gx", c)] <- a[c]
      w[paste0("y", c, "/x", c)] <- -a[c]
    }
    ct <- svycontrast(r, w)
    rows <- c(rows, sprintf("%s,%s,%s,%s", g, cn, num(coef(ct)), num(SE(ct))))
  }
}
writeLines(c("domain,index,diff,se", rows), file.path(out, "vsnation.csv"))

## 5. Importance–performance ------------------------------------------------------
# Derived importance: weighted correlation (cov.wt) between a criterion's
# satisfied indicator and the respondent's mean satisfaction over the other
# criteria; performance: weighted satisfied share in percent; quadrants split
# at the means (Martilla & James 1977).
set.seed(5)
n <- 400
C <- 6
lat <- rnorm(n)
w <- runif(n, 0.5, 3)
w[sample(n, 5)] <- 0
sat <- sapply(1:C, function(c) {
  s <- as.numeric(runif(n) < plogis(0.2 * c - 0.3 + (0.3 + 0.25 * c) * lat))
  s[runif(n) < 0.12] <- NA
  s
})
write.csv(data.frame(w = w, sat), file.path(out, "ipa_data.csv"), row.names = FALSE,
          quote = FALSE, na = "NA")
imp <- perf <- numeric(C)
for (c in 1:C) {
  o <- rowMeans(sat[, -c, drop = FALSE], na.rm = TRUE)
  o[is.nan(o)] <- NA
  ok <- w > 0 & !is.na(sat[, c]) & !is.na(o)
  imp[c] <- cov.wt(cbind(sat[ok, c], o[ok]), wt = w[ok] / sum(w[ok]), cor = TRUE)$cor[1, 2]
  v <- w > 0 & !is.na(sat[, c])
  perf[c] <- 100 * sum(w[v] * sat[v, c]) / sum(w[v])
}
quad <- ifelse(imp >= mean(imp), ifelse(perf >= mean(perf), "keep_up", "fix_first"),
               ifelse(perf >= mean(perf), "overkill", "low_priority"))
writeLines(c("criterion,importance,performance,quadrant",
             sprintf("%d,%s,%s,%s", 1:C, num(imp), num(perf), quad)),
           file.path(out, "ipa.csv"))
