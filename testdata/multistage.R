# Oracle for sampling's multistage variance (finite population corrections
# at every stage): R survey's full multistage linearization,
# svydesign(id = ~psu + ssu, fpc = ~fpc1 + fpc2), on apiclus2, mu284 (data
# of the survey package), a stratified version of mu284 and a generated
# three-stage stratified sample. Run from the repository root:
#
#   Rscript testdata/multistage.R
#
# Writes the data (testdata/multistage/*.csv), the goldens
# testdata/multistage/goldens.csv (numbers with sprintf("%.17g")) and
# testdata/multistage/versions.txt.
suppressPackageStartupMessages(library(survey))
data(api); data(mu284)
out <- "testdata/multistage"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
wcsv <- function(d, f) write.csv(d, file.path(out, f), row.names = FALSE, na = "")
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
options(survey.ultimate.cluster = FALSE)

clus2 <- apiclus2[, c("dnum", "snum", "stype", "pw", "fpc1", "fpc2", "api00", "api99", "enroll", "ell")]
clus2$fpc2 <- as.vector(clus2$fpc2)
wcsv(clus2, "apiclus2.csv")

mu <- mu284
mu$y2 <- round(mu$y1^2 / 10 + mu$id2, 1)
# weights from the fpc (R's when none are given): N1/n1 · N2/n2
mu$w <- mu$n1 / 5 * mu$n2 / ave(mu$id2, mu$id1, FUN = length)
# strata over the PSUs with their own first-stage population sizes
mu$str <- ifelse(mu$id1 %in% c(19, 31), "A", "B")
mu$N1 <- ifelse(mu$str == "A", 20, 30)
mu$ws <- mu$N1 / ifelse(mu$str == "A", 2, 3) * mu$n2 / ave(mu$id2, mu$id1, FUN = length)
mu$frac2 <- ave(mu$id2, mu$id1, FUN = length) / mu$n2
wcsv(mu, "mu284.csv")

# three stages: 4 strata × 6 PSUs (of 10..30), 3 SSUs per PSU (of 5..12),
# 4 elements per SSU (of 10..40); one PSU with a single SSU of several
set.seed(20261206)
g <- expand.grid(el = 1:4, ssu = 1:3, psu = 1:6, str = 1:4)
g <- g[!(g$str == 2 & g$psu == 3 & g$ssu > 1), ]
g$psu <- paste0("S", g$str, "P", g$psu)
N1 <- c(10, 18, 24, 30)[g$str]
N2 <- ave(seq_len(nrow(g)), g$psu, FUN = function(i) sample(5:12, 1))
N3 <- ave(seq_len(nrow(g)), g$psu, g$ssu, FUN = function(i) sample(10:40, 1))
n2 <- ave(g$ssu, g$psu, FUN = function(x) length(unique(x)))
g$fpc1 <- N1; g$fpc2 <- N2; g$fpc3 <- N3
g$w <- N1 / 6 * N2 / n2 * N3 / 4
g$y <- round(rnorm(nrow(g), 50 + 3 * g$str, 10), 1)
g$x <- round(runif(nrow(g), 1, 5), 2)
g$dom <- ifelse(runif(nrow(g)) < 0.4, "a", "b")
g$stratum <- paste0("H", g$str)
three <- g[, c("stratum", "psu", "ssu", "el", "fpc1", "fpc2", "fpc3", "w", "y", "x", "dom")]
wcsv(three, "three.csv")

rows <- list()
add <- function(design, stat, var, dom, obj) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, stat = stat, var = var, domain = dom,
    est = g17(coef(obj)), se = g17(SE(obj)), stringsAsFactors = FALSE)
}
run <- function(dn, d, vars, ratio, by) {
  for (v in vars) {
    f <- as.formula(paste0("~", v))
    add(dn, "mean", v, "", svymean(f, d, na.rm = TRUE))
    add(dn, "total", v, "", svytotal(f, d, na.rm = TRUE))
  }
  add(dn, "ratio", paste(ratio, collapse = "/"), "", svyratio(as.formula(paste0("~", ratio[1])), as.formula(paste0("~", ratio[2])), d))
  if (!is.null(by)) {
    v <- vars[1]
    b <- svyby(as.formula(paste0("~", v)), as.formula(paste0("~", by)), d, svymean, na.rm = TRUE)
    for (i in seq_len(nrow(b))) rows[[length(rows) + 1]] <<- data.frame(design = dn, stat = "mean", var = v,
      domain = paste0(by, "=", b[[by]][i]), est = g17(coef(b)[i]), se = g17(SE(b)[i]), stringsAsFactors = FALSE)
  }
}
options(survey.lonely.psu = "fail")
run("clus2", svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = clus2),
    c("api00", "enroll", "ell"), c("api00", "api99"), "stype")
run("mu284", svydesign(id = ~id1 + id2, weights = ~w, fpc = ~n1 + n2, data = mu), c("y1", "y2"), c("y1", "y2"), NULL)
run("mu284strat", svydesign(id = ~id1 + id2, strata = ~str, weights = ~ws, fpc = ~N1 + n2, data = mu), c("y1", "y2"), c("y1", "y2"), NULL)
# "adjust" follows current R (survey >= 4.2), not this survey 4.1: onestage
# centres a lonely unit's total on the stage's mean unit total, colSums(x)
# over the number of units sampled at that stage within the unit above. At a
# later stage the unit above is the parent (the stage's strata are nested in
# it), so a parent with one sampled unit has that unit's total as centre and
# contributes (a_u - a_u)^2 = 0. With no lonely PSU at the first stage, the
# "three" design's adjust variance is then R's remove variance: the rows
# three_adjust are that formula (survey 4.1 centres at 0 and adds m f a_u^2).
for (lp in c("remove", "certainty", "adjust")) {
  options(survey.lonely.psu = if (lp == "adjust") "remove" else lp)
  run(paste0("three_", lp), svydesign(id = ~psu + ssu + el, strata = ~stratum, weights = ~w, fpc = ~fpc1 + fpc2 + fpc3, data = three),
      c("y", "x"), c("y", "x"), "dom")
}
write.csv(do.call(rbind, rows), file.path(out, "goldens.csv"), row.names = FALSE)
