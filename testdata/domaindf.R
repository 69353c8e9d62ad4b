# Oracle for domain degrees of freedom (index.Options.DF = sampling.DFDomain,
# `--df domain`): R survey on testdata/index/sipas_small.csv. Run from the
# repository root:
#
#   Rscript testdata/domaindf.R
#
# Writes testdata/index/domaindf_goldens.csv (numbers with sprintf("%.17g")).
#
# A domain analysed as subset(design, domain) has R's degf(subset): the
# PSUs with a row of the domain (nonzero weight) minus the strata with such
# a row (degf.survey.design2). confint() and svyciprop() use the degf of the
# design they are given, so the domain's intervals use it. Rows:
#   kind "df":        degf(subset(design, domain))
#   kind "criterion": svyciprop(~s_c, subset(sub, v_c == 1), "logit",
#                     df = degf(sub)) — the logit interval with the domain df
#   kind "wald":      confint(svyratio(~s_c, ~v_c, sub), df = degf(sub))
#   kind "sipas":     confint(svycontrast(...), df = degf(sub)) of the SIPAS
#                     composite (Wald with t(domain df))
suppressPackageStartupMessages(library(survey))
d <- read.csv("testdata/index/sipas_small.csv", stringsAsFactors = FALSE, encoding = "UTF-8",
              colClasses = c(ballot_id = "character", psu = "character", province_code = "character"))
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))

elements <- list(access = paste0("access_", 1:4), procedures = paste0("procedures_", 1:5),
                 officials = paste0("officials_", 1:6), outcomes = paste0("outcomes_", 1:3),
                 feedback = paste0("feedback_", 1:4))
crit <- unlist(elements, use.names = FALSE)
for (c in crit) {
  d[[paste0("s_", c)]] <- as.numeric(!is.na(d[[c]]) & d[[c]] %in% 4:5)
  d[[paste0("v_", c)]] <- as.numeric(!is.na(d[[c]]) & d[[c]] %in% 1:5)
}
totf <- as.formula(paste("~", paste(c(paste0("s_", crit), paste0("v_", crit)), collapse = "+")))
all_c <- c(); all_w <- c()
for (e in names(elements)) {
  cs <- elements[[e]]
  all_c <- c(all_c, cs); all_w <- c(all_w, rep(1 / (length(elements) * length(cs)), length(cs)))
}
sipas_expr <- parse(text = paste(paste0(sprintf("%.17g", all_w), " * s_", all_c, " / v_", all_c), collapse = " + "))[[1]]

designs <- list(
  strat_clus = svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d, nest = TRUE),
  strat_clus_fpc = svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc, data = d, nest = TRUE)
)

rows <- list()
add <- function(design, by, domain, kind, id, df, lo = NA, hi = NA) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, by = by, domain = domain, kind = kind, id = id,
    df = df, ci_low = g17(100 * lo), ci_high = g17(100 * hi))
}
crit_some <- c("access_1", "procedures_3", "officials_6", "feedback_4")
for (dname in names(designs)) {
  des <- designs[[dname]]
  for (by in c("province", "level", "field")) {
    for (dom in sort(unique(d[[by]]))) {
      sub <- subset(des, get(by) == dom)
      df <- degf(sub)
      add(dname, by, dom, "df", "", df)
      for (c in crit_some) {
        r <- svyratio(as.formula(paste0("~s_", c)), as.formula(paste0("~v_", c)), sub)
        est <- coef(r)[1]
        if (est > 0 && est < 1) {
          vsub <- subset(sub, get(paste0("v_", c)) == 1)
          ci <- attr(svyciprop(as.formula(paste0("~s_", c)), vsub, method = "logit", df = df), "ci")
          add(dname, by, dom, "criterion", c, df, ci[1], ci[2])
        }
        w <- confint(r, df = df)
        add(dname, by, dom, "wald", c, df, w[1], w[2])
      }
      ct <- svycontrast(svytotal(totf, sub), sipas_expr)
      w <- confint(ct, df = df)
      add(dname, by, dom, "sipas", "sipas", df, w[1], w[2])
    }
  }
}
out <- do.call(rbind, rows)
write.csv(out, "testdata/index/domaindf_goldens.csv", row.names = FALSE, quote = TRUE)
