# Oracle for the domain lonely-PSU adjustment of TOTALS under lonely.psu
# "adjust" as current R survey (>= 4.4; the rule is in onestage/onestrat of
# R/multistage.R and in the C++ arma_onestage that survey uses by default):
# with options(survey.adjust.domain.lonely = TRUE), a stratum with n_h > 1
# PSUs of which only one holds rows of the domain has its n_h PSU totals
# (t_h and n_h - 1 zeros) centred at c = sum(z) / sum(n_h), the mean PSU
# total over all strata of the domain, not at 0:
#
#   (1 - f_h) n_h/(n_h - 1) [(t_h - c)^2 + (n_h - 1) c^2]
#
# and a stratum with one PSU contributes (1 - f_h) (t_h - c)^2 (as in
# testdata/stats.R). Survey 4.1.1 (Debian) centres both at 0, so the goldens
# are computed HERE FROM THE FORMULA in plain R on the influence values,
# not with survey's variance code. The script checks itself against survey
# 4.1.1: with the centre forced to 0 the formula reproduces svyby's SEs, and
# for means and ratios (influence values summing to 0 in the domain, so
# c = 0) the current rule gives survey 4.1.1's SEs. Run from the repository
# root after testdata/domainlonely.R:
#
#   Rscript testdata/domainlonely_current.R
#
# Writes testdata/domainlonely/{sipas_lonely.csv,current.csv} (numbers with
# sprintf("%.17g")): designs adjust and adjust_fpc on sipas.csv, and
# lonely_adjust(_fpc) on sipas_lonely.csv, where province P12 keeps one
# commune (a stratum lonely in the whole design next to the domain-lonely
# ones).
suppressPackageStartupMessages(library(survey))
out <- "testdata/domainlonely"
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
sip <- read.csv(file.path(out, "sipas.csv"), stringsAsFactors = FALSE)
lon <- sip[sip$province != "P12" | sip$commune == sort(unique(sip$commune[sip$province == "P12"]))[1], ]
write.csv(lon, file.path(out, "sipas_lonely.csv"), row.names = FALSE)

# variance of the domain's influence values z (its rows only) under
# "adjust" with the domain adjustment; centre0 = TRUE is survey 4.1.1's rule
adj_var <- function(z, strata, psu, nh, f, centre0) {
  key <- !duplicated(strata)
  centre <- if (centre0) 0 else sum(z) / sum(nh[key])
  v <- 0
  for (h in unique(strata)) {
    i <- strata == h
    t <- as.vector(tapply(z[i], psu[i], sum))
    n <- nh[i][1]; fh <- f[i][1]
    m <- length(t)
    t <- c(t, rep(0, n - m))
    if (m > 1) v <- v + fh * n / (n - 1) * sum((t - mean(t))^2)
    else if (n > 1) v <- v + fh * n / (n - 1) * sum((t - centre)^2)
    else v <- v + fh * sum((t - centre)^2)
  }
  v
}

rows <- list()
options(survey.lonely.psu = "adjust", survey.adjust.domain.lonely = TRUE)
for (data in c("sipas", "lonely")) for (fpc in c(FALSE, TRUE)) {
  dat <- if (data == "sipas") sip else lon
  d <- if (fpc) svydesign(id = ~commune, strata = ~province, weights = ~w, fpc = ~fpc, data = dat)
       else svydesign(id = ~commune, strata = ~province, weights = ~w, data = dat)
  dn <- paste0(if (data == "lonely") "lonely_" else "", "adjust", if (fpc) "_fpc" else "")
  nh <- ave(as.integer(factor(dat$commune)), dat$province, FUN = function(x) length(unique(x)))
  f <- if (fpc) 1 - nh / dat$fpc else rep(1, nrow(dat))
  for (stat in c("mean", "total", "ratio")) {
    vars <- if (stat == "ratio") "visits/sat" else c("visits", "sat")
    for (v in vars) {
      b <- suppressWarnings(switch(stat,
        mean = svyby(as.formula(paste0("~", v)), ~rare, d, svymean),
        total = svyby(as.formula(paste0("~", v)), ~rare, d, svytotal),
        ratio = svyby(~visits, ~rare, d, svyratio, denominator = ~sat)))
      for (i in seq_len(nrow(b))) {
        dom <- as.character(b$rare[i])
        k <- dat$rare == dom
        w <- dat$w[k]
        est <- unname(coef(b)[i])
        z <- switch(stat,
          total = w * dat[[v]][k],
          mean = w * (dat[[v]][k] - est) / sum(w),
          ratio = w * (dat$visits[k] - est * dat$sat[k]) / sum(w * dat$sat[k]))
        v0 <- adj_var(z, dat$province[k], dat$commune[k], nh[k], f[k], TRUE)
        v1 <- adj_var(z, dat$province[k], dat$commune[k], nh[k], f[k], FALSE)
        se41 <- unname(SE(b)[i])
        # the formula with survey 4.1's centre is survey 4.1.1 itself
        stopifnot(abs(sqrt(v0) - se41) <= 1e-10 * se41)
        # means and ratios: the current rule changes nothing
        if (stat != "total") stopifnot(abs(sqrt(v1) - se41) <= 1e-10 * se41)
        rows[[length(rows) + 1]] <- data.frame(design = dn, stat = stat, var = v, domain = dom,
          est = g17(est), se = g17(sqrt(v1)), se_survey41 = g17(se41))
      }
    }
  }
}
write.csv(do.call(rbind, rows), file.path(out, "current.csv"), row.names = FALSE)
