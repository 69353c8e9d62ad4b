# Oracle for the degrees of freedom of domains of REPLICATE designs
# (sampling.Design.DomainDF, the DFDomain rule): R survey's `[` on a
# svyrep.design drops the rows outside the subset and recomputes degf, the
# rank of the subset's analysis weights minus 1, and svyciprop() and
# confint(..., df = degf(sub)) on the subset use it; svyby(..., svyciprop,
# vartype = "ci") subsets the same way (checked below). Designs: JK1 of the
# one-stage cluster sample apiclus1, JKn of apistrat clustered by district
# within school type, BRR of apistrat's two pseudo-PSUs per school type
# (as.svrepdesign), and supplied weights (svrepdesign): R's 40 bootstrap
# replicates of apiclus1 (testdata/estimation/repw_boot.csv) and its JK1
# weights (repw_jk1.csv), and a JKn design of 450 PSUs in 90 strata
# (domaindf_big.csv, written here). Run from the repository root after
# testdata/estimation.R:
#
#   Rscript testdata/domaindf_rep.R
#
# Writes testdata/estimation/domaindf_rep.csv (numbers with sprintf("%.17g")):
# per design, domain and variable the domain df, the design df, and the
# 95% intervals that use the domain df: Wald ("mean", svyciprop(method =
# "mean") for 0/1 yes, confint(svymean) for api00) and, for yes, "logit"
# (JK1 and JKn).
suppressPackageStartupMessages(library(survey))
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
strat <- read.csv("testdata/api/apistrat.csv", stringsAsFactors = FALSE)
clus1 <- read.csv("testdata/api/apiclus1.csv", stringsAsFactors = FALSE)
options(survey.replicates.mse = FALSE)
meta <- function(n) readLines(paste0("testdata/estimation/repw_", n, ".txt"))
boot_w <- read.csv("testdata/estimation/repw_boot.csv")
jk1_w <- read.csv("testdata/estimation/repw_jk1.csv")
# a JKn design the size of a national survey's first stage: 90 strata of 5
# PSUs (450 replicates), 3 rows per PSU; domains in part of 4 strata, in
# the whole of 2, mixed, and the rest (424 PSUs)
set.seed(11)
big <- expand.grid(row = 1:3, psu = 1:5, stratum = 1:90)
big$psu <- paste0(big$stratum, "-", big$psu)
big$pw <- round(runif(nrow(big), 50, 150), 3)
big$y <- round(rnorm(nrow(big), 60, 15), 2)
big$yes <- as.integer(runif(nrow(big)) < 0.7)
k <- as.integer(sub(".*-", "", big$psu))
big$grp <- ifelse(big$stratum <= 4 & k <= 3, "g1", ifelse(big$stratum %in% 5:6, "g2",
  ifelse((big$stratum == 7 & k <= 2) | big$stratum == 8, "g3", "g4")))
write.csv(big[, c("stratum", "psu", "pw", "y", "yes", "grp")], "testdata/estimation/domaindf_big.csv", row.names = FALSE)
designs <- list(
  jk1 = list(as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = clus1), type = "JK1"), "stype"),
  jkn = list(as.svrepdesign(svydesign(id = ~dnum, strata = ~stype, weights = ~pw, nest = TRUE, data = strat), type = "JKn"), "comp.imp"),
  brr = list(as.svrepdesign(svydesign(id = ~pair, strata = ~stype, weights = ~pw, data = strat), type = "BRR"), "stype"),
  user_boot = list(svrepdesign(data = clus1, repweights = boot_w, weights = ~pw, type = "other", combined.weights = TRUE,
    scale = as.numeric(meta("boot")[1]), rscales = as.numeric(strsplit(meta("boot")[2], " ")[[1]])), "stype"),
  user_jk1 = list(svrepdesign(data = clus1, repweights = jk1_w, weights = ~pw, type = "JK1", combined.weights = TRUE), "stype"),
  jkn_big = list(as.svrepdesign(svydesign(id = ~psu, strata = ~stratum, weights = ~pw, data = big), type = "JKn"), "grp", "y")
)
rows <- list()
for (dn in names(designs)) {
  d <- designs[[dn]][[1]]; by <- designs[[dn]][[2]]
  num <- if (length(designs[[dn]]) > 2) designs[[dn]][[3]] else "api00"
  cis <- svyby(~yes, as.formula(paste0("~", by)), d, svyciprop, method = "mean", vartype = "ci")
  for (dom in sort(unique(d$variables[[by]]))) {
    sub <- d[d$variables[[by]] == dom, ]
    df <- degf(sub)
    m <- svyciprop(~yes, sub, method = "mean")
    # svyby reaches the same subset
    stopifnot(all.equal(as.vector(attr(m, "ci")), as.numeric(cis[cis[[by]] == dom, c("ci_l", "ci_u")]), tolerance = 1e-12))
    l <- svyciprop(~yes, sub, method = "logit")
    a <- svymean(as.formula(paste0("~", num)), sub)
    ca <- confint(a, df = df)
    add <- function(var, method, est, ci) rows[[length(rows) + 1]] <<- data.frame(design = dn, by = by, domain = dom,
      df = df, design_df = degf(d), var = var, method = method, est = g17(est), lo = g17(ci[1]), hi = g17(ci[2]))
    add("yes", "mean", coef(m), attr(m, "ci"))
    # logit: R refits the glm on every replicate (iterative, so compared
    # at 1e-7); left out where R's replicate fits degenerate (a BRR domain
    # that is one stratum gives [0, NaN]; bootstrap replicates where the
    # domain's share is 1: see docs/methodology.md, logit intervals)
    if (dn %in% c("jk1", "jkn", "user_jk1")) add("yes", "logit", coef(l), attr(l, "ci"))
    add(num, "mean", coef(a), ca)
  }
}
out <- do.call(rbind, rows)
write.csv(out, "testdata/estimation/domaindf_rep.csv", row.names = FALSE)
print(unique(out[, c("design", "domain", "df", "design_df")]))

# svyglm on a replicate design with rows dropped for missing values keeps
# the whole design's degf (its residual df is set before the subset): x is
# missing in whole districts, so the subset's rank is smaller.
gd <- clus1[, c("dnum", "pw", "yes", "api00")]
gd$x <- ifelse(gd$dnum %in% sort(unique(gd$dnum))[1:5], NA, gd$api00 / 100)
write.csv(gd, "testdata/estimation/domaindf_glm.csv", row.names = FALSE, na = "")
gdes <- as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = gd), type = "JK1")
fit <- svyglm(yes ~ x, gdes, family = quasibinomial)
stopifnot(degf(gdes[!is.na(gd$x), ]) < degf(gdes))
write.csv(data.frame(term = names(coef(fit)), est = g17(coef(fit)), se = g17(SE(fit)),
  df = df.residual(fit), subset_df = degf(gdes[!is.na(gd$x), ])), "testdata/estimation/domaindf_glm_coef.csv", row.names = FALSE)
