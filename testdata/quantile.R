# Oracle for survey quantiles: R svyquantile (survey 4.1.1) with the rules
# qrule = "math" (the default) and "hf7", Woodruff intervals (interval.type
# = "mean", the default of survey 4.1: the interval of the estimated CDF at
# the quantile, F̂(q̂) ± t·SE, mapped back through the quantile rule) and,
# for replicate designs, also interval.type = "quantile" (the quantile
# recomputed with every replicate's weights). Overall and by domain (a
# domain is subset(design, ...), as svyby does), na.rm = TRUE.
# Run from the repository root, after testdata/estimation.R:
#
#   Rscript testdata/quantile.R
#
# Writes testdata/quantile/*.csv (numbers with sprintf("%.17g")) and
# testdata/quantile/versions.txt.
suppressPackageStartupMessages(library(survey))
out <- "testdata/quantile"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
options(survey.ultimate.cluster = TRUE, survey.lonely.psu = "fail")

strat <- read.csv("testdata/api/apistrat.csv")
clus1 <- read.csv("testdata/api/apiclus1.csv")
# a continuous variable with missing values (every 7th row)
strat$enrollna <- ifelse(seq_len(nrow(strat)) %% 7 == 0, NA, strat$enroll)
clus1$enrollna <- ifelse(seq_len(nrow(clus1)) %% 7 == 0, NA, clus1$enroll)
strat <- strat[, c("snum", "dnum", "stype", "pw", "fpc", "api00", "enroll", "enrollna")]
clus1 <- clus1[, c("snum", "dnum", "stype", "pw", "fpc", "api00", "enroll", "enrollna")]
write.csv(strat, file.path(out, "apistrat.csv"), row.names = FALSE, na = "")
write.csv(clus1, file.path(out, "apiclus1.csv"), row.names = FALSE, na = "")

# A SIPAS-shaped file: 12 provinces (strata), 6 communes each (PSUs), 25
# citizens per commune; waiting time in minutes (rounded: many ties), number
# of visits (1–5), cost in thousand dong (zero for about a third); the field
# of the service as the domain; some missing values.
set.seed(20261207)
np <- 12; nc <- 6; m <- 25
sip <- expand.grid(i = seq_len(m), commune = seq_len(nc), province = seq_len(np))
sip$commune <- sprintf("P%02dC%d", sip$province, sip$commune)
sip$province <- sprintf("P%02d", sip$province)
n <- nrow(sip)
ceff <- rnorm(np * nc, 0, 0.4)[as.integer(factor(sip$commune))]
sip$w <- round(runif(np)[as.integer(factor(sip$province))] * 400 + 50 + runif(n) * 20, 3)
sip$field <- sample(c("land", "justice", "construction"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2))
sip$wait <- round(exp(3 + ceff + rnorm(n, 0, 0.7)))
sip$visits <- pmin(5, 1 + rpois(n, exp(-0.5 + ceff)))
sip$cost <- ifelse(runif(n) < 0.35, 0, round(exp(4 + ceff + rnorm(n, 0, 1)), 1))
sip$wait[sample(n, 40)] <- NA
sip$cost[sample(n, 60)] <- NA
sip$i <- NULL
write.csv(sip, file.path(out, "sipas.csv"), row.names = FALSE, na = "")

designs <- list(
  strat = list(d = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat),
               vars = c("api00", "enroll", "enrollna"), by = "stype"),
  clus1 = list(d = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1),
               vars = c("api00", "enrollna"), by = "stype"),
  sipas = list(d = svydesign(id = ~commune, strata = ~province, weights = ~w, data = sip),
               vars = c("wait", "visits", "cost"), by = "field")
)
designs$jk1 <- list(d = as.svrepdesign(designs$clus1$d, type = "JK1"),
                    vars = c("api00", "enrollna"), by = "stype")
designs$jkn <- list(d = as.svrepdesign(designs$strat$d, type = "JKn"),
                    vars = c("api00", "enrollna"), by = "stype")
designs$sipasjkn <- list(d = as.svrepdesign(designs$sipas$d, type = "JKn"),
                         vars = c("wait", "cost"), by = "field")

probs <- c(0.25, 0.5, 0.9)
rows <- list()
add <- function(dn, rule, itype, v, by, dom, q, dsub) {
  for (i in seq_along(probs)) {
    ci <- confint(q)[i, ]
    rows[[length(rows) + 1]] <<- data.frame(design = dn, rule = rule, interval = itype, var = v,
      by = by, domain = dom, p = probs[i], est = g17(coef(q)[i]), lo = g17(ci[1]), hi = g17(ci[2]),
      se = g17(SE(q)[i]), df = degf(dsub))
  }
}
for (dn in names(designs)) {
  D <- designs[[dn]]
  itypes <- if (inherits(D$d, "svyrep.design")) c("mean", "quantile") else "mean"
  for (rule in c("math", "hf7")) for (itype in itypes) for (v in D$vars) {
    f <- as.formula(paste0("~", v))
    q <- svyquantile(f, D$d, probs, qrule = rule, interval.type = itype, na.rm = TRUE)[[1]]
    dsub <- D$d[!is.na(D$d$variables[[v]]), ]
    add(dn, rule, itype, v, "", "", structure(list(q), class = "newsvyquantile", hasci = TRUE), dsub)
    levs <- sort(unique(as.character(D$d$variables[[D$by]])))
    for (lev in levs) {
      sub <- D$d[D$d$variables[[D$by]] == lev, ]
      qq <- svyquantile(f, sub, probs, qrule = rule, interval.type = itype, na.rm = TRUE)
      dsub <- sub[!is.na(sub$variables[[v]]), ]
      add(dn, rule, itype, v, D$by, lev, qq, dsub)
    }
  }
}
write.csv(do.call(rbind, rows), file.path(out, "quantiles.csv"), row.names = FALSE)
