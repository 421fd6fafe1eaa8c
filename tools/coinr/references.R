# references.R -- regenerate COINr 1.1.14 reference outputs for options that
# cityrank reimplements (treatment variants, optimised weights, denominator change,
# panel data / purse).
#
# Run:  R_LIBS=/path/to/lib Rscript --vanilla references.R [OUTDIR]
# (OUTDIR defaults to tests/fixtures/coinr/more, relative to the working directory: run it from the repository root, or use tools/coinr/regenerate.sh).  Requires COINr 1.1.14 installed from
# the git tag v1.1.14 of github.com/bluefoxr/COINr (commit 338b21ce72791cf75e17a900008952783762eb5c).
#
# Output conventions (all CSV):
#   * header line, comma separated, character columns quoted with "...";
#   * numbers written with sprintf("%.17g") so that they round-trip exactly to IEEE doubles;
#   * logical columns written unquoted as TRUE / FALSE;
#   * missing values (NA) written as an EMPTY field (nothing between the commas).
#   * Inf / -Inf / NaN, if any, are written as Inf / -Inf / NaN.

suppressPackageStartupMessages(library(COINr))

args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1) args[1] else "tests/fixtures/coinr/more"
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

if (as.character(utils::packageVersion("COINr")) != "1.1.14") {
  stop("COINr 1.1.14 required, found ", as.character(utils::packageVersion("COINr")))
}

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

fmt_num <- function(v) {
  out <- sprintf("%.17g", v)
  out[is.na(v) & !is.nan(v)] <- NA
  out[is.nan(v)] <- "NaN"
  out
}

# write a data frame with the conventions above
wcsv <- function(df, name) {
  df <- as.data.frame(df, stringsAsFactors = FALSE)
  quote_cols <- integer(0)
  for (j in seq_along(df)) {
    v <- df[[j]]
    if (is.factor(v)) v <- as.character(v)
    if (is.numeric(v)) {
      df[[j]] <- fmt_num(v)
    } else if (is.logical(v)) {
      df[[j]] <- ifelse(is.na(v), NA, ifelse(v, "TRUE", "FALSE"))
    } else {
      df[[j]] <- as.character(v)
      quote_cols <- c(quote_cols, j)
    }
  }
  path <- file.path(outdir, name)
  utils::write.csv(df, path, row.names = FALSE, na = "", quote = quote_cols)
  cat("wrote", path, "\n")
  invisible(path)
}

# Treatment details table + treated points of a coin
write_treat <- function(coin, prefix) {
  wcsv(get_dset(coin, "Treated"), paste0(prefix, "_Treated.csv"))
  wcsv(coin$Analysis$Treated$Dets_Table, paste0(prefix, "_treat_details.csv"))
  tp <- coin$Analysis$Treated$Treated_Points
  if (!is.null(tp)) {
    tp <- data.frame(uCode = get_dset(coin, "Treated")$uCode, tp, check.names = FALSE)
    wcsv(tp, paste0(prefix, "_treated_points.csv"))
  }
}

# results: Aggregated data set with rank of Index (COINr get_results convention:
# rank(-Index, na.last = "keep", ties.method = "min")), sorted by Index descending
results_tab <- function(coin, dset = "Aggregated") {
  ag <- get_dset(coin, dset)
  ag$Rank <- rank(-ag$Index, na.last = "keep", ties.method = "min")
  ag <- ag[order(-ag$Index), c("uCode", "Rank", "Index", setdiff(names(ag), c("uCode", "Rank", "Index")))]
  ag
}

# the default build of build_example_coin(), COINr 1.1.14 (R/examples.R), step by step
build_default <- function(iData = COINr::ASEM_iData, iMeta = COINr::ASEM_iMeta, up_to = "Aggregate") {
  coin <- new_coin(iData, iMeta, level_names = c("Indicator", "Pillar", "Sub-index", "Index"),
                   quietly = TRUE)
  if (up_to == "new_coin") return(coin)
  coin <- Denominate(coin, dset = "Raw")
  if (up_to == "Denominate") return(coin)
  coin <- Impute(coin, dset = "Denominated", f_i = "i_mean_grp", use_group = "EurAsia_group")
  if (up_to == "Impute") return(coin)
  coin <- Screen(coin, dset = "Imputed", dat_thresh = 0.9, unit_screen = "byNA")
  if (up_to == "Screen") return(coin)
  coin <- Treat(coin, dset = "Screened", global_specs = list(f1_para = list(winmax = 5)))
  if (up_to == "Treat") return(coin)
  coin <- Normalise(coin, dset = "Treated", global_specs = list(f_n = "n_minmax",
                                                                  f_n_para = list(c(0, 100))))
  if (up_to == "Normalise") return(coin)
  coin <- Aggregate(coin, dset = "Normalised", f_ag = "a_amean")
  coin
}

# continue the default build after a (modified) Treat step
finish_from_treated <- function(coin) {
  coin <- Normalise(coin, dset = "Treated", global_specs = list(f_n = "n_minmax",
                                                                  f_n_para = list(c(0, 100))))
  Aggregate(coin, dset = "Normalised", f_ag = "a_amean")
}

q <- function(expr) suppressMessages(expr)

# sanity: the step-by-step build equals build_example_coin()
coin_def <- q(build_default())
coin_ex <- build_example_coin(quietly = TRUE)
stopifnot(identical(get_dset(coin_def, "Aggregated"), get_dset(coin_ex, "Aggregated")))
coin_scr <- q(build_default(up_to = "Screen"))

run_case <- function(label, expr) {
  res <- tryCatch(expr, error = function(e) {
    message("CASE ", label, " FAILED: ", conditionMessage(e))
    NULL
  })
  invisible(res)
}

# ---------------------------------------------------------------------------
# a. f2 = "log_CT_orig"   b. f2 = "log_GII"   (a0: f2 = default "log_CT", for comparison)
#    With the default winmax = 5, Winsorisation alone makes every failing ASEM
#    indicator pass, so f2 is never reached and the Treated data equal the default
#    build.  To exercise f2 the same specs are also run with winmax = 1 (as in
#    COINr's treat vignette) and winmax = 0 (no Winsorisation: every indicator that
#    fails the first check goes straight to f2).
#    NB: COINr 1.1.14's log_GII() computes the transform but returns the
#    UNTRANSFORMED x (bug), so indicators reaching f2 = log_GII are left as they were.
# ---------------------------------------------------------------------------
f2_case <- function(prefix, f2, winmax) {
  run_case(prefix, {
    gs <- list(f1_para = list(winmax = winmax))
    if (!is.null(f2)) gs$f2 <- f2
    co <- q(Treat(coin_scr, dset = "Screened", global_specs = gs))
    write_treat(co, prefix)
    co <- q(finish_from_treated(co))
    wcsv(get_dset(co, "Normalised"), paste0(prefix, "_Normalised.csv"))
    wcsv(results_tab(co), paste0(prefix, "_results.csv"))
    co
  })
}
for (wm in c(5, 1, 0)) {
  f2_case(paste0("a_log_CT_orig_winmax", wm), "log_CT_orig", wm)
  f2_case(paste0("b_log_GII_winmax", wm), "log_GII", wm)
  if (wm != 5) f2_case(paste0("a0_log_CT_winmax", wm), NULL, wm)
}

run_case("b_formula", {
  # what log_GII's formula would give if it returned its computed value (for reference only):
  # log((max-1)*(x-min)/(max-min) + 1), applied to every Screened indicator column
  scr <- get_dset(coin_scr, "Screened")
  gii <- data.frame(uCode = scr$uCode)
  for (cc in setdiff(names(scr), "uCode")) {
    x <- scr[[cc]]; mx <- max(x, na.rm = TRUE); mn <- min(x, na.rm = TRUE)
    gii[[cc]] <- log((mx - 1) * (x - mn) / (mx - mn) + 1)
  }
  wcsv(gii, "b_log_GII_formula_values_NOT_used_by_COINr.csv")
})

# ---------------------------------------------------------------------------
# c. Box-Cox.
#  c1: f1 = "boxcox" (lambda = 0.5, makepos = TRUE), f2 = default log_CT.
#      The default f1_para of Treat.data.frame contains winsorise's arguments
#      (winmax, skew_thresh, kurt_thresh, force_win); global_specs is merged with
#      utils::modifyList, so they must be removed explicitly (NULL entries) or
#      boxcox() errors with "unused argument" and Treat silently returns the
#      column untreated (case c0 documents that pitfall).
#  c2: f1 = default winsorise, f2 = "boxcox" (lambda = 0.5, makepos = TRUE).
#  c3: like c1 but combine_treat = TRUE (log_CT applied to boxcox output).
#  c0: the naive call global_specs = list(f1 = "boxcox", f1_para = list(lambda = 0.5)).
# ---------------------------------------------------------------------------
bc_f1_para <- list(winmax = NULL, skew_thresh = NULL, kurt_thresh = NULL, force_win = NULL,
                   lambda = 0.5, makepos = TRUE)   # na.rm = TRUE is kept from the defaults

run_case("c1", {
  co <- q(Treat(coin_scr, dset = "Screened",
                global_specs = list(f1 = "boxcox", f1_para = bc_f1_para)))
  write_treat(co, "c1_boxcox_f1")
  co <- q(finish_from_treated(co))
  wcsv(results_tab(co), "c1_boxcox_f1_results.csv")
})

for (wm in c(5, 1, 0)) run_case(paste0("c2_", wm), {
  co <- q(Treat(coin_scr, dset = "Screened",
                global_specs = list(f1_para = list(winmax = wm), f2 = "boxcox",
                                    f2_para = list(lambda = 0.5, makepos = TRUE))))
  pf <- paste0("c2_boxcox_f2_winmax", wm)
  write_treat(co, pf)
  co <- q(finish_from_treated(co))
  wcsv(results_tab(co), paste0(pf, "_results.csv"))
})

run_case("c3", {
  co <- q(Treat(coin_scr, dset = "Screened",
                global_specs = list(f1 = "boxcox", f1_para = bc_f1_para),
                combine_treat = TRUE))
  write_treat(co, "c3_boxcox_f1_combine")
  co <- q(finish_from_treated(co))
  wcsv(results_tab(co), "c3_boxcox_f1_combine_results.csv")
})

run_case("c0", {
  w <- NULL
  co <- withCallingHandlers(
    q(Treat(coin_scr, dset = "Screened",
            global_specs = list(f1 = "boxcox", f1_para = list(lambda = 0.5)))),
    warning = function(cnd) { w <<- c(w, conditionMessage(cnd)); invokeRestart("muffleWarning") })
  write_treat(co, "c0_boxcox_naive")
  wcsv(data.frame(warning = w), "c0_boxcox_naive_warnings.csv")
})

# ---------------------------------------------------------------------------
# d. Winsorisation with force_win = TRUE (winmax = 5)
# ---------------------------------------------------------------------------
run_case("d", {
  co <- q(Treat(coin_scr, dset = "Screened",
                global_specs = list(f1_para = list(winmax = 5, force_win = TRUE))))
  write_treat(co, "d_force_win")
  co <- q(finish_from_treated(co))
  wcsv(get_dset(co, "Normalised"), "d_force_win_Normalised.csv")
  wcsv(results_tab(co), "d_force_win_results.csv")
})

# ---------------------------------------------------------------------------
# e. Optimised weights on the full default coin
# ---------------------------------------------------------------------------
# A transparent replica of get_opt_weights()'s objective (COINr 1.1.14, R/weights.R),
# used only to log every objective evaluation (par, value) at full precision; it is
# checked to give the same optimum as get_opt_weights() itself.
opt_trace <- function(coin, itarg, dset, Level, optype, toler = 0.1, maxiter = 500) {
  n_w <- sum(coin$Meta$Weights$Original$Level == Level)
  if (optype == "infomax") itarg <- NULL
  if (identical(itarg, "equal")) itarg <- rep(1, n_w)
  if (optype == "balance") itarg <- itarg / sum(itarg)
  w0 <- coin$Meta$Weights$Original
  codes <- w0$iCode[w0$Level == Level]
  tr <- list()
  objfunc <- function(w) {
    wr <- w
    w <- w / sum(w)
    wlist <- w0
    wlist$Weight[wlist$Level == Level] <- w
    crt <- COINr:::weights2corr(coin, dset = dset, w = wlist, Levels = c(Level, coin$Meta$maxlev),
                                cortype = "pearson")$cr
    crs <- crt$Correlation
    if (optype == "balance") {
      crs_n <- crs / sum(crs)
      val <- log(sum((itarg - crs_n)^2) / length(crs_n))
    } else {
      val <- -sum(crs)
    }
    # par_<code>: raw optimiser parameter (before w/sum(w)), in weight-table order;
    # cor_<code>: correlation with the Index, in the (sorted) order get_corr returns
    tr[[length(tr) + 1]] <<- c(eval = length(tr) + 1, value = val,
                               setNames(wr, paste0("par_", codes)),
                               setNames(crs, paste0("cor_", crt$Var2)))
    val
  }
  init <- if (optype == "balance") itarg else w0$Weight[w0$Level == Level]
  o <- stats::optim(par = init, fn = objfunc, control = list(reltol = toler, maxit = maxiter))
  list(optim = o, trace = as.data.frame(do.call(rbind, tr)))
}

opt_case <- function(label, Level, itarg, optype, toler = NULL, maxiter = NULL) {
  run_case(label, {
    res <- q(get_opt_weights(coin_def, itarg = itarg, dset = "Aggregated", Level = Level,
                             optype = optype, toler = toler, maxiter = maxiter, out2 = "list"))
    o <- res$OptResults
    lev_codes <- res$WeightsOpt$iCode[res$WeightsOpt$Level == Level]
    wcsv(res$WeightsOpt, paste0(label, "_weights_full.csv"))
    wcsv(data.frame(iCode = lev_codes, OptWeight = res$CorrResultsNorm$OptWeight,
                    RawPar = o$par,
                    Desired = res$CorrResultsNorm$Desired,
                    Obtained_as_returned = res$CorrResultsNorm$Obtained,
                    Obtained_sorted_code = sort(lev_codes)),
         paste0(label, "_CorrResultsNorm.csv"))
    wcsv(data.frame(value = o$value, convergence = o$convergence,
                    fn_count = unname(o$counts["function"]),
                    message = if (is.null(o$message)) NA_character_ else o$message),
         paste0(label, "_optim.csv"))
    # replica with trace
    rt <- q(opt_trace(coin_def, itarg = itarg, dset = "Aggregated", Level = Level, optype = optype,
                      toler = if (is.null(toler)) 0.1 else toler,
                      maxiter = if (is.null(maxiter)) 500 else maxiter))
    stopifnot(identical(rt$optim$par, o$par), identical(rt$optim$value, o$value))
    wcsv(rt$trace, paste0(label, "_trace.csv"))
    # correlations (pearson) of each Level-`Level` aggregate with the Index, with the
    # optimised weights, in iCode order of the weights table, and the re-aggregated results
    wl <- res$WeightsOpt
    coin2 <- coin_def
    coin2$Log$Aggregate$w <- wl
    coin2 <- Regen(coin2, from = "Aggregate", quietly = TRUE)
    ag <- get_dset(coin2, "Aggregated")
    cr <- sapply(lev_codes, function(cc) stats::cor(ag[[cc]], ag$Index, use = "pairwise.complete.obs"))
    wcsv(data.frame(iCode = lev_codes, OptWeight = res$CorrResultsNorm$OptWeight,
                    CorWithIndex = unname(cr)), paste0(label, "_corr_at_optimum.csv"))
    # objective at the start point and at the optimum
    ev <- rt$trace
    wcsv(data.frame(what = c("start", "optimum"),
                    value = c(ev$value[1], o$value)), paste0(label, "_objective.csv"))
    wcsv(results_tab(coin2), paste0(label, "_results.csv"))
  })
}

opt_case("e_balance_L2", 2, "equal", "balance")
opt_case("e_balance_L3", 3, "equal", "balance")
opt_case("e_infomax_L2", 2, NULL, "infomax")
opt_case("e_infomax_L3", 3, NULL, "infomax")
# The defaults (reltol = 0.1, maxit = 500) stop Nelder-Mead as soon as the initial
# simplex is built (see SOURCE-NOTES.md); these "tight" variants show real optima.
opt_case("e_balance_L2_tight", 2, "equal", "balance", toler = 1e-8, maxiter = 5000)
opt_case("e_balance_L3_tight", 3, "equal", "balance", toler = 1e-8, maxiter = 5000)
opt_case("e_infomax_L2_tight", 2, NULL, "infomax", toler = 1e-8, maxiter = 5000)
opt_case("e_infomax_L3_tight", 3, NULL, "infomax", toler = 1e-8, maxiter = 5000)

# ---------------------------------------------------------------------------
# f. Denominator change: Goods denominated by Population instead of GDP
# ---------------------------------------------------------------------------
run_case("f", {
  # (1) via Denominate()'s denomby argument on the default coin
  coin0 <- q(build_default(up_to = "new_coin"))
  denomby <- coin0$Meta$Ind[c("iCode", "Denominator")]
  denomby <- denomby[!is.na(denomby$Denominator), ]
  denomby$Denominator[denomby$iCode == "Goods"] <- "Population"
  co <- q(Denominate(coin0, dset = "Raw", denomby = denomby))
  co <- q(Impute(co, dset = "Denominated", f_i = "i_mean_grp", use_group = "EurAsia_group"))
  co <- q(Screen(co, dset = "Imputed", dat_thresh = 0.9, unit_screen = "byNA"))
  co <- q(Treat(co, dset = "Screened", global_specs = list(f1_para = list(winmax = 5))))
  co <- q(finish_from_treated(co))
  # (2) equivalently, edit iMeta's Denominator column and rebuild
  iMeta2 <- COINr::ASEM_iMeta
  iMeta2$Denominator[iMeta2$iCode == "Goods"] <- "Population"
  co2 <- q(build_default(iMeta = iMeta2))
  stopifnot(identical(get_dset(co, "Aggregated"), get_dset(co2, "Aggregated")))
  for (ds in c("Denominated", "Imputed", "Screened", "Treated", "Normalised", "Aggregated")) {
    wcsv(get_dset(co, ds), paste0("f_goods_by_pop_", ds, ".csv"))
  }
  wcsv(co$Analysis$Treated$Dets_Table, "f_goods_by_pop_treat_details.csv")
  wcsv(results_tab(co), "f_goods_by_pop_results.csv")
})

# ---------------------------------------------------------------------------
# g. Panel data as a purse: build_example_purse() step by step
#    new_coin(split_to = "all") -> Screen (per year) -> Treat (per year, default
#    specs) -> Normalise(global = TRUE: min-max over all years jointly) ->
#    Aggregate (per year)
# ---------------------------------------------------------------------------
run_case("g", {
  purse <- q(new_coin(COINr::ASEM_iData_p, COINr::ASEM_iMeta,
                      level_names = c("Indicator", "Pillar", "Sub-index", "Index"),
                      split_to = "all", quietly = TRUE))
  purse <- q(Screen(purse, dset = "Raw", dat_thresh = 0.9, unit_screen = "byNA"))
  purse <- q(Treat(purse, dset = "Screened"))
  purse <- q(Normalise(purse, dset = "Treated", global = TRUE))
  purse <- q(Aggregate(purse, dset = "Normalised"))
  ex <- build_example_purse(quietly = TRUE)
  stopifnot(identical(get_dset(purse, "Aggregated"), get_dset(ex, "Aggregated")))
  for (ds in c("Raw", "Screened", "Treated", "Normalised", "Aggregated")) {
    wcsv(get_dset(purse, ds), paste0("g_purse_", ds, ".csv"))
  }
  dets <- do.call(rbind, lapply(seq_len(nrow(purse)), function(i) {
    d <- purse$coin[[i]]$Analysis$Treated$Dets_Table
    cbind(Time = purse$Time[i], d)
  }))
  wcsv(dets, "g_purse_treat_details.csv")
  res <- do.call(rbind, lapply(seq_len(nrow(purse)), function(i) {
    cbind(Time = purse$Time[i], results_tab(purse$coin[[i]]))
  }))
  wcsv(res, "g_purse_results.csv")
  # contrast: Normalise(global = FALSE) i.e. per year
  p2 <- q(Normalise(q(Treat(q(Screen(q(new_coin(COINr::ASEM_iData_p, COINr::ASEM_iMeta,
                      level_names = c("Indicator", "Pillar", "Sub-index", "Index"),
                      split_to = "all", quietly = TRUE)), dset = "Raw", dat_thresh = 0.9,
                      unit_screen = "byNA")), dset = "Screened")), dset = "Treated", global = FALSE))
  wcsv(get_dset(p2, "Normalised"), "g_purse_Normalised_global_FALSE.csv")
})

# ---------------------------------------------------------------------------
# provenance
# ---------------------------------------------------------------------------
prov <- c(
  "# Provenance of the COINr reference outputs",
  "",
  paste0("- COINr version: ", as.character(utils::packageVersion("COINr")),
         " (installed from git tag v1.1.14 of github.com/bluefoxr/COINr, commit 338b21ce72791cf75e17a900008952783762eb5c, 2024-05-21)"),
  paste0("- R: ", R.version$version.string, " (", R.version$platform, ")"),
  paste0("- Other packages: ", paste(sapply(c("openxlsx", "rlang", "ggplot2", "readxl"), function(p)
    paste0(p, " ", as.character(utils::packageVersion(p)))), collapse = ", ")),
  paste0("- BLAS/LAPACK: ", paste(c(extSoftVersion()["BLAS"], La_library()), collapse = " ; ")),
  paste0("- Locale (LC_COLLATE): ", Sys.getlocale("LC_COLLATE")),
  paste0("- Generated: ", format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z")),
  "- Script: references.R (R_LIBS=<lib with COINr 1.1.14> Rscript --vanilla references.R [OUTDIR]);",
  "  COINr installed with R CMD INSTALL from the v1.1.14 tag, unmodified; R and Imports (openxlsx, rlang, ggplot2, readxl) from Debian packages",
  "- Format: CSV, numbers as sprintf('%.17g') (exact round trip), NA as empty field, logicals TRUE/FALSE unquoted, strings quoted."
)
prov <- c(prov, "",
  "## Files (prefix = case; suffixes: _Treated / _Normalised / _Aggregated = COINr data sets (uCode + columns);",
  "## _treat_details = .$Analysis$Treated$Dets_Table; _treated_points = .$Analysis$Treated$Treated_Points;",
  "## _results = Aggregated data sorted by Index with Rank = rank(-Index, ties 'min'))",
  "- a_log_CT_orig_winmax{5,1,0}_*: Treat f2 = log_CT_orig, winmax 5 (= default build: f2 never reached), 1, 0",
  "- a0_log_CT_winmax{1,0}_*: default f2 = log_CT with winmax 1, 0 (baseline for a/b)",
  "- b_log_GII_winmax{5,1,0}_*: Treat f2 = log_GII (COINr bug: returns x unchanged)",
  "- b_log_GII_formula_values_NOT_used_by_COINr.csv: log((max-1)(x-min)/(max-min)+1) on Screened, for reference",
  "- c1_boxcox_f1_*: f1 = boxcox(lambda 0.5, makepos), f2 = log_CT on original x when boxcox fails",
  "- c2_boxcox_f2_winmax{5,1,0}_*: f1 = winsorise(winmax), f2 = boxcox(lambda 0.5, makepos)",
  "- c3_boxcox_f1_combine_*: as c1 with combine_treat = TRUE (log_CT applied to boxcox output)",
  "- c0_boxcox_naive_*: global_specs = list(f1='boxcox', f1_para=list(lambda=0.5)) -> failing columns silently untreated",
  "- d_force_win_*: f1_para = list(winmax = 5, force_win = TRUE)",
  "- e_{balance,infomax}_L{2,3}[_tight]_*: get_opt_weights(dset='Aggregated'); default toler/maxiter (0.1/500) or tight (1e-8/5000);",
  "  _weights_full (all levels), _CorrResultsNorm (as returned + raw par), _optim (value, convergence, fn count),",
  "  _trace (every objective evaluation: par, value, correlations), _corr_at_optimum, _objective (start/optimum), _results",
  "- f_goods_by_pop_*: Goods denominated by Population instead of GDP; Denominated..Aggregated, details, results",
  "- g_purse_*: ASEM_iData_p purse (build_example_purse steps): Raw, Screened, Treated (per year), Normalised (pooled,",
  "  global = TRUE), Aggregated, treat_details (with Time), results (per Time), Normalised_global_FALSE (contrast)"
)
writeLines(prov, file.path(outdir, "PROVENANCE.md"))
cat("done\n")
