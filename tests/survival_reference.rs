//! The survival family against R survival 3.5-3 (`tests/fixtures/survival_r.json`, written by
//! `tests/fixtures/scripts/survival_r.R`) and Therneau & Grambsch's hand-computed examples
//! (their appendix; survival's `tests/book1.R` and `book2.R`), plus bad input and a simulation.

mod common;

use std::borrow::Cow;

use common::{assert_close, fixture, read_csv};
use serde_json::Value;
use virkning::data::{Column, Frame};
use virkning::survival::{
    logrank, survsplit, ConfType, Coxph, KaplanMeier, SurvSplit, SurvivalError, Ties, ZphTransform,
};

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("survival_r.json")).unwrap()).unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(num).collect(),
        other => vec![num(other)],
    }
}

fn float(v: Vec<f64>) -> Column<'static> {
    Column::Float(Cow::Owned(v))
}

/// Rossi with the derived columns of the R script: weights `w` and offset `off`.
fn rossi() -> Frame<'static> {
    let mut f = read_csv("data/rossi.csv");
    let n = f.n_rows();
    let prio: Vec<f64> = (0..n).map(|i| f.column("prio").unwrap().value(i).unwrap()).collect();
    f.push("w", float((0..n).map(|i| 1.0 + (i % 3) as f64 / 2.0).collect())).unwrap();
    f.push("off", float(prio.iter().map(|p| 0.1 * p).collect())).unwrap();
    f
}

#[track_caller]
fn close_or_nan(a: f64, b: f64, rtol: f64, what: &str) {
    if b.is_nan() {
        assert!(a.is_nan(), "{what}: {a} vs reference NA");
    } else {
        assert_close(a, b, rtol, what);
    }
}

fn check_cox(name: &str, fit: &virkning::survival::CoxResult, r: &Value) {
    let terms: Vec<&str> = r["terms"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(fit.coefficients.len(), terms.len(), "{name}: terms");
    // R names a factor level `factor(mar)1`, virkning `C(mar)[T.1]`; terms may come in another order.
    for (k, rt) in terms.iter().enumerate() {
        let mine = match rt.strip_prefix("factor(").and_then(|t| t.split_once(')')) {
            Some((v, level)) => format!("C({v})[T.{level}]"),
            None => rt.to_string(),
        };
        // heart's `transplant` is a factor in R (`transplant1`), a 0/1 number in the CSV.
        let e = fit
            .coef(&mine)
            .or_else(|| fit.coef(mine.trim_end_matches('1')))
            .unwrap_or_else(|| panic!("{name}: no term {mine}"));
        assert_close(e.estimate, nums(&r["coef"])[k], 1e-6, &format!("{name} {} coef", e.term));
        assert_close(e.std_error, nums(&r["se"])[k], 1e-6, &format!("{name} {} se", e.term));
    }
    let ll = nums(&r["loglik"]);
    assert_close(fit.loglik_null, ll[0], 1e-9, &format!("{name} loglik0"));
    assert_close(fit.loglik, ll[1], 1e-9, &format!("{name} loglik"));
    assert_close(fit.likelihood_ratio.statistic, num(&r["lr"]), 1e-6, &format!("{name} lr"));
    assert_close(fit.wald.statistic, num(&r["wald"]), 1e-6, &format!("{name} wald"));
    assert_close(fit.score.statistic, num(&r["score"]), 1e-6, &format!("{name} score"));
    assert_eq!(fit.n_events as f64, num(&r["nevent"]), "{name} events");
    if let Some(ns) = r.get("naive_se") {
        let nv = fit.naive_vcov.as_ref().unwrap();
        for (k, s) in nums(ns).iter().enumerate() {
            assert_close(nv[k][k].sqrt(), *s, 1e-6, &format!("{name} naive se {k}"));
        }
    }
    let c = fit.concordance().unwrap();
    let counts = nums(&r["concordance_counts"]);
    assert_close(c.concordance, num(&r["concordance"]), 1e-9, &format!("{name} concordance"));
    assert_close(c.concordant, counts[0], 1e-9, &format!("{name} concordant"));
    assert_close(c.discordant, counts[1], 1e-9, &format!("{name} discordant"));
    close_or_nan(c.tied_risk, counts[2], 1e-9, &format!("{name} tied.x"));
    if let Some(z) = r.get("zph_chisq") {
        let zph = fit.cox_zph(ZphTransform::Km).unwrap();
        for (k, want) in nums(z).iter().enumerate() {
            assert_close(zph.table[k].test.statistic, *want, 1e-6, &format!("{name} zph {}", zph.table[k].term));
        }
        let zi = fit.cox_zph(ZphTransform::Identity).unwrap();
        for (k, want) in nums(&r["zph_identity_chisq"]).iter().enumerate() {
            assert_close(zi.table[k].test.statistic, *want, 1e-6, &format!("{name} zph identity {k}"));
        }
    }
}

const F7: &str = "Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio";

#[test]
fn cox_equals_r_on_rossi() {
    let r = reference();
    let data = rossi();
    let tight = |p: Coxph| p.tol(1e-12);
    let cases: Vec<(&str, Coxph)> = vec![
        ("rossi_efron", tight(Coxph::new(F7))),
        ("rossi_breslow", tight(Coxph::new(F7).ties(Ties::Breslow))),
        ("rossi_strata", tight(Coxph::new("Surv(week, arrest) ~ fin + age + prio + strata(wexp)"))),
        ("rossi_strata2", tight(Coxph::new("Surv(week, arrest) ~ fin + age + prio + strata(wexp, mar)"))),
        ("rossi_robust", tight(Coxph::new(F7).robust(true))),
        ("rossi_robust_breslow", tight(Coxph::new(F7).robust(true).ties(Ties::Breslow))),
        ("rossi_cluster_age", tight(Coxph::new("Surv(week, arrest) ~ fin + prio + mar").cluster("age"))),
        // R switches to the robust variance for non-integer weights; virkning when asked.
        ("rossi_weights", tight(Coxph::new(F7).weights("w").robust(true))),
        ("rossi_weights_breslow", tight(Coxph::new(F7).weights("w").ties(Ties::Breslow).robust(true))),
        ("rossi_offset", tight(Coxph::new("Surv(week, arrest) ~ fin + age").offset("off"))),
        ("rossi_interaction", tight(Coxph::new("Surv(week, arrest) ~ fin * age + C(mar)"))),
    ];
    for (name, p) in cases {
        let fit = p.fit(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_cox(name, &fit, &r[name]);
    }
    // The shared reference value (R's default control).
    let fit = Coxph::new(F7).fit(&data).unwrap();
    let d = &r["rossi_efron_default_control"];
    assert_close(fit.coefficients[0].estimate, num(&d["coef"][0]), 1e-6, "default fin");
    assert_close(fit.coefficients[0].estimate, -0.37942, 1e-4, "shared fin");
    assert_close(fit.coefficients[0].std_error, 0.19138, 1e-4, "shared se");
}

#[test]
fn cox_equals_r_on_time_varying_heart_data() {
    let r = reference();
    let data = read_csv("data/heart.csv");
    let f = "Surv(start, stop, event) ~ age + year + surgery + transplant";
    for (name, p) in [
        ("heart_efron", Coxph::new(f)),
        ("heart_breslow", Coxph::new(f).ties(Ties::Breslow)),
        ("heart_cluster", Coxph::new(f).cluster("id")),
    ] {
        let fit = p.tol(1e-12).fit(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_cox(name, &fit, &r[name]);
    }
}

fn check_basehaz(name: &str, fit: &virkning::survival::CoxResult, new: &Frame<'_>, r: &Value) {
    let base = fit.baseline().unwrap();
    let b = &base[0];
    let (t, h) = (nums(&r["time"]), nums(&r["hazard"]));
    assert_eq!(b.time, t, "{name} times");
    for k in 0..t.len() {
        assert_close(b.cumhaz[k], h[k], 1e-6, &format!("{name} cumhaz at {}", t[k]));
    }
    let pred = fit.predict_survival(new).unwrap();
    let ps = &r["pred_surv"]; // times x rows
    for (k, row) in ps.as_array().unwrap().iter().enumerate() {
        for (j, v) in nums(row).iter().enumerate() {
            assert_close(pred.surv[j][k], *v, 1e-6, &format!("{name} surv row {j} time {k}"));
        }
    }
}

#[test]
fn baseline_hazard_and_predictions_equal_r() {
    let r = reference();
    let data = rossi();
    let new = Frame::new()
        .with_column("fin", float(vec![0.0, 1.0]))
        .unwrap()
        .with_column("age", float(vec![20.0, 30.0]))
        .unwrap()
        .with_column("race", float(vec![1.0, 0.0]))
        .unwrap()
        .with_column("wexp", float(vec![0.0, 1.0]))
        .unwrap()
        .with_column("mar", float(vec![0.0, 1.0]))
        .unwrap()
        .with_column("paro", float(vec![1.0, 0.0]))
        .unwrap()
        .with_column("prio", float(vec![3.0, 0.0]))
        .unwrap();
    let fe = Coxph::new(F7).tol(1e-12).fit(&data).unwrap();
    check_basehaz("rossi efron", &fe, &new, &r["rossi_efron_basehaz"]);
    let fb = Coxph::new(F7).ties(Ties::Breslow).tol(1e-12).fit(&data).unwrap();
    check_basehaz("rossi breslow", &fb, &new, &r["rossi_breslow_basehaz"]);
    let heart = read_csv("data/heart.csv");
    let fh = Coxph::new("Surv(start, stop, event) ~ age + year + surgery + transplant").tol(1e-12).fit(&heart).unwrap();
    let newh = Frame::new()
        .with_column("age", float(vec![0.0, -10.0]))
        .unwrap()
        .with_column("year", float(vec![2.0, 4.0]))
        .unwrap()
        .with_column("surgery", float(vec![0.0, 1.0]))
        .unwrap()
        .with_column("transplant", float(vec![1.0, 0.0]))
        .unwrap();
    check_basehaz("heart", &fh, &newh, &r["heart_basehaz"]);
}

/// Therneau & Grambsch's data set 1 (appendix; survival tests/book1.R, book2.R): the row with
/// a missing status is dropped.
fn book_data() -> Frame<'static> {
    Frame::new()
        .with_column("time", float(vec![9.0, 3.0, 1.0, 1.0, 6.0, 6.0, 8.0]))
        .unwrap()
        .with_column("status", float(vec![1.0, f64::NAN, 1.0, 0.0, 1.0, 1.0, 0.0]))
        .unwrap()
        .with_column("x", float(vec![0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 0.0]))
        .unwrap()
}

#[test]
fn breslow_equals_the_hand_computed_example() {
    let fit = Coxph::new("Surv(time, status) ~ x").ties(Ties::Breslow).tol(1e-12).fit(&book_data()).unwrap();
    assert_eq!(fit.drops.n_missing, 1);
    let beta = fit.coefficients[0].estimate;
    assert_close(beta, 1.4752849, 1e-7, "book beta (Breslow)");
    let r = beta.exp();
    let loglik = 2.0 * beta - ((3.0 * r + 3.0).ln() + 2.0 * (r + 3.0).ln());
    let imat = r / (r + 1.0).powi(2) + 6.0 * r / (r + 3.0).powi(2);
    assert_close(fit.loglik, loglik, 1e-12, "book loglik");
    assert_close(fit.vcov[0][0], 1.0 / imat, 1e-8, "book variance");
    assert_close(fit.loglik_null, 2.0 * 0.0 - (6f64.ln() + 2.0 * 4f64.ln()), 1e-12, "book loglik at 0");
    // Score residuals, in the book's order (times 1, 1, 6, 6, 8, 9).
    let (a, b) = (3.0 * (r + 1.0).powi(2), (r + 3.0).powi(2));
    let score = [
        (2.0 * r + 3.0) / a,
        -r / a,
        -r / a + 3.0 * (3.0 - r) / b,
        r / a - r * (r + 1.0) / b,
        r / a + 2.0 * r / b,
        r / a + 2.0 * r / b,
    ];
    let (rows, res) = fit.score_residuals().unwrap();
    let book_order = [2usize, 3, 4, 5, 6, 0]; // input rows of times 1, 1, 6, 6, 8, 9
    for (k, &row) in book_order.iter().enumerate() {
        let pos = rows.iter().position(|&x| x == row).unwrap();
        assert_close(res[pos][0], score[k], 1e-7, &format!("book score residual {k}"));
    }
    // Baseline hazard at x = 0: increments 1/(3r+3), 2/(r+3), 0, 1 at times 1, 6, 8, 9.
    let cum = [1.0 / (3.0 * r + 3.0), 1.0 / (3.0 * r + 3.0) + 2.0 / (r + 3.0)];
    let base = fit.baseline().unwrap();
    let bh = &base[0];
    assert_eq!(bh.time, vec![1.0, 6.0, 8.0, 9.0]);
    assert_close(bh.cumhaz[0], cum[0], 1e-10, "book H(1)");
    assert_close(bh.cumhaz[1], cum[1], 1e-10, "book H(6)");
    assert_close(bh.cumhaz[3], cum[1] + 1.0, 1e-10, "book H(9)");
}

#[test]
fn efron_equals_the_hand_computed_example() {
    let fit = Coxph::new("Surv(time, status) ~ x").tol(1e-12).fit(&book_data()).unwrap();
    let truebeta = ((((45.0 / 23.0) * (3.0f64 / 23.0).sqrt()).acos() / 3.0).cos() * 2.0 * (23.0f64 / 3.0).sqrt()).ln();
    let beta = fit.coefficients[0].estimate;
    assert_close(beta, truebeta, 1e-8, "book beta (Efron)");
    let r = beta.exp();
    let loglik = 2.0 * beta - ((3.0 * r + 3.0).ln() + ((r + 5.0) / 2.0).ln() + (r + 3.0).ln());
    let t = |x: f64| x - x * x;
    let imat = t(r / (r + 1.0)) + t(r / (r + 5.0)) + t(r / (r + 3.0));
    assert_close(fit.loglik, loglik, 1e-12, "book loglik (Efron)");
    assert_close(fit.vcov[0][0], 1.0 / imat, 1e-8, "book variance (Efron)");
    let (a, b, d) = (r + 1.0, r + 3.0, r + 5.0);
    let abd2 = (a * b * d).powi(2);
    let s56 = 2.0 * r * (177.0 + r * (282.0 + r * (182.0 + r * (50.0 + 5.0 * r)))) / (3.0 * abd2);
    let score = [
        (2.0 * r + 3.0) / (3.0 * a * a),
        -r / (3.0 * a * a),
        (675.0 + r * (1305.0 + r * (756.0 + r * (-4.0 + r * (-79.0 - 13.0 * r))))) / (3.0 * abd2),
        r * (1.0 / (3.0 * a * a) - a / (2.0 * b * b) - b / (2.0 * d * d)),
        s56,
        s56,
    ];
    let (rows, res) = fit.score_residuals().unwrap();
    for (k, &row) in [2usize, 3, 4, 5, 6, 0].iter().enumerate() {
        let pos = rows.iter().position(|&x| x == row).unwrap();
        assert_close(res[pos][0], score[k], 1e-7, &format!("book Efron score residual {k}"));
    }
}

fn check_km(name: &str, fit: &virkning::survival::KaplanMeierResult, r: &Value) {
    let strata: Vec<&str> = r["strata"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let mut k = 0;
    for c in &fit.curves {
        for j in 0..c.time.len() {
            let what = format!("{name} [{}] t={}", strata[k], c.time[j]);
            assert_close(c.time[j], num(&r["time"][k]), 1e-12, &what);
            assert_close(c.n_risk[j], num(&r["n_risk"][k]), 1e-12, &format!("{what} n.risk"));
            assert_close(c.n_event[j], num(&r["n_event"][k]), 1e-12, &format!("{what} n.event"));
            assert_close(c.surv[j], num(&r["surv"][k]), 1e-10, &format!("{what} surv"));
            close_or_nan(c.std_error[j], num(&r["std_err"][k]), 1e-8, &format!("{what} std.err"));
            close_or_nan(c.conf_low[j], num(&r["lower"][k]), 1e-8, &format!("{what} lower"));
            close_or_nan(c.conf_high[j], num(&r["upper"][k]), 1e-8, &format!("{what} upper"));
            assert_close(c.cumhaz[j], num(&r["cumhaz"][k]), 1e-10, &format!("{what} cumhaz"));
            assert_close(c.std_cumhaz[j], num(&r["std_chaz"][k]), 1e-8, &format!("{what} std.chaz"));
            k += 1;
        }
    }
    assert_eq!(k, strata.len(), "{name}: rows");
}

#[test]
fn kaplan_meier_equals_r_survfit() {
    let r = reference();
    let data = rossi();
    let lung = read_csv("data/lung.csv");
    let heart = read_csv("data/heart.csv");
    let km = |d: &str, e: &str| KaplanMeier::new(d, e);
    let with = |mut p: KaplanMeier, f: &dyn Fn(&mut KaplanMeier)| {
        f(&mut p);
        p
    };
    let cases: Vec<(&str, KaplanMeier, &Frame<'_>)> = vec![
        ("km_rossi_log", km("week", "arrest"), &data),
        ("km_rossi_loglog", with(km("week", "arrest"), &|p| p.conf_type = ConfType::LogLog), &data),
        ("km_rossi_plain", with(km("week", "arrest"), &|p| p.conf_type = ConfType::Plain), &data),
        ("km_rossi_fin", with(km("week", "arrest"), &|p| p.group = Some("fin".into())), &data),
        ("km_rossi_weights", with(km("week", "arrest"), &|p| p.weights = Some("w".into())), &data),
        ("km_heart_entry", with(km("stop", "event"), &|p| p.entry = Some("start".into())), &heart),
        ("km_lung_sex", with(km("time", "status"), &|p| p.group = Some("sex".into())), &lung),
        (
            "km_lung_loglog_sex",
            with(km("time", "status"), &|p| {
                p.group = Some("sex".into());
                p.conf_type = ConfType::LogLog;
            }),
            &lung,
        ),
    ];
    for (name, p, d) in cases {
        let fit = p.fit(d).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_km(name, &fit, &r[name]);
    }
}

#[test]
fn quantiles_equal_r_quantile_survfit() {
    let r = reference();
    let lung = read_csv("data/lung.csv");
    let data = rossi();
    let mut by_sex = KaplanMeier::new("time", "status");
    by_sex.group = Some("sex".into());
    let mut loglog = KaplanMeier::new("time", "status");
    loglog.conf_type = ConfType::LogLog;
    let mut fin = KaplanMeier::new("week", "arrest");
    fin.group = Some("fin".into());
    for (name, p, d) in [
        ("quant_lung_sex", by_sex, &lung),
        ("quant_lung", KaplanMeier::new("time", "status"), &lung),
        ("quant_lung_loglog", loglog, &lung),
        ("quant_rossi_fin", fin, &data),
    ] {
        let rc = &r[name];
        let probs = nums(&rc["probs"]);
        let q = p.fit(d).unwrap().quantiles(&probs).unwrap();
        let grid = |key: &str| -> Vec<f64> {
            match &rc[key] {
                Value::Array(a) if a.first().is_some_and(Value::is_array) => a.iter().flat_map(nums).collect(),
                v => nums(v),
            }
        };
        let (est, lo, hi) = (grid("quantile"), grid("lower"), grid("upper"));
        assert_eq!(q.len(), est.len(), "{name}");
        for (k, row) in q.iter().enumerate() {
            let what = format!("{name} [{}] p={}", row.group, row.prob);
            close_or_nan(row.estimate, est[k], 1e-12, &what);
            close_or_nan(row.conf_low, lo[k], 1e-12, &format!("{what} lower"));
            close_or_nan(row.conf_high, hi[k], 1e-12, &format!("{what} upper"));
        }
    }
}

#[test]
fn logrank_equals_r_survdiff() {
    let r = reference();
    let data = rossi();
    let lung = read_csv("data/lung.csv");
    for (name, d, dur, ev, g, s) in [
        ("logrank_rossi_fin", &data, "week", "arrest", "fin", None),
        ("logrank_lung_sex", &lung, "time", "status", "sex", None),
        ("logrank_lung_ecog", &lung, "time", "status", "ph.ecog", None),
        ("logrank_rossi_fin_strata", &data, "week", "arrest", "fin", Some("wexp")),
        ("logrank_lung_sex_strata", &lung, "time", "status", "sex", Some("ph.ecog")),
    ] {
        let t = logrank(d, dur, ev, g, s).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rc = &r[name];
        assert_close(t.test.statistic, num(&rc["chisq"]), 1e-9, &format!("{name} chisq"));
        assert_eq!(t.test.df as f64, num(&rc["df"]), "{name} df");
        for (k, e) in nums(&rc["exp"]).iter().enumerate() {
            assert_close(t.expected[k], *e, 1e-10, &format!("{name} expected {k}"));
            assert_close(t.observed[k], nums(&rc["obs"])[k], 1e-12, &format!("{name} observed {k}"));
        }
    }
}

#[test]
fn survsplit_builds_counting_process_rows() {
    let f = Frame::new()
        .with_column("id", float(vec![1.0, 1.0, 2.0]))
        .unwrap()
        .with_column("entry", float(vec![0.0, 20.0, 5.0]))
        .unwrap()
        .with_column("exit", float(vec![10.0, 40.0, 30.0]))
        .unwrap()
        .with_column("event", float(vec![0.0, 1.0, 2.0]))
        .unwrap()
        .with_column("igu", float(vec![f64::NAN, 25.0, 2.0]))
        .unwrap();
    let spec = SurvSplit {
        id: Some("id".into()),
        entry: Some("entry".into()),
        exit: "exit".into(),
        event: "event".into(),
        event_codes: vec![0, 1, 2],
        programmes: vec![("in_igu".into(), "igu".into())],
        cuts: vec![26.0],
    };
    let out = survsplit(&f, &spec).unwrap();
    assert_eq!(out.source_row, vec![0, 1, 1, 1, 2, 2]);
    assert_eq!(out.start, vec![0.0, 20.0, 25.0, 26.0, 5.0, 26.0]);
    assert_eq!(out.stop, vec![10.0, 25.0, 26.0, 40.0, 26.0, 30.0]);
    assert_eq!(out.event, vec![0.0, 0.0, 0.0, 1.0, 0.0, 2.0]);
    assert_eq!(out.programmes[0].1, vec![0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!(out.interval, vec![1, 1, 2, 3, 1, 2]);
    // Bad input: each a named error.
    let err = |spec: &SurvSplit, f: &Frame<'_>| match survsplit(f, spec) {
        Err(virkning::Error::Survival(e)) => e,
        other => panic!("expected a survival error, got {other:?}"),
    };
    let mut undeclared = spec.clone();
    undeclared.event_codes = vec![0, 1];
    assert!(matches!(err(&undeclared, &f), SurvivalError::UndeclaredEvent { value, .. } if value == 2.0));
    let overlap = Frame::new()
        .with_column("id", float(vec![1.0, 1.0]))
        .unwrap()
        .with_column("entry", float(vec![0.0, 5.0]))
        .unwrap()
        .with_column("exit", float(vec![10.0, 40.0]))
        .unwrap()
        .with_column("event", float(vec![0.0, 1.0]))
        .unwrap()
        .with_column("igu", float(vec![f64::NAN, f64::NAN]))
        .unwrap();
    assert!(matches!(err(&spec, &overlap), SurvivalError::OverlappingSpells { .. }));
    let backwards = Frame::new()
        .with_column("entry", float(vec![10.0]))
        .unwrap()
        .with_column("exit", float(vec![10.0]))
        .unwrap()
        .with_column("event", float(vec![1.0]))
        .unwrap();
    let s2 =
        SurvSplit { entry: Some("entry".into()), exit: "exit".into(), event: "event".into(), ..SurvSplit::default() };
    assert!(matches!(err(&s2, &backwards), SurvivalError::StopNotAfterStart { .. }));
    let negative = Frame::new()
        .with_column("entry", float(vec![-1.0]))
        .unwrap()
        .with_column("exit", float(vec![10.0]))
        .unwrap()
        .with_column("event", float(vec![1.0]))
        .unwrap();
    assert!(matches!(err(&s2, &negative), SurvivalError::NegativeTime { .. }));
}

fn small(time: Vec<f64>, event: Vec<f64>, x: Vec<f64>) -> Frame<'static> {
    Frame::new()
        .with_column("t", float(time))
        .unwrap()
        .with_column("e", float(event))
        .unwrap()
        .with_column("x", float(x.clone()))
        .unwrap()
        .with_column("x2", float(x.iter().map(|v| 2.0 * v).collect()))
        .unwrap()
        .with_column("g", float(vec![1.0; x.len()]))
        .unwrap()
}

#[test]
fn bad_input_gives_named_errors_or_reported_drops() {
    let surv = |r: virkning::Result<virkning::survival::CoxResult>| match r {
        Err(virkning::Error::Survival(e)) => e,
        other => panic!("expected a survival error, got {:?}", other.map(|f| f.coefficients)),
    };
    let ok = small(vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 0.0, 1.0, 1.0], vec![0.1, 0.5, 0.2, 0.9]);
    let p = Coxph::new("Surv(t, e) ~ x");
    assert!(matches!(
        surv(p.fit(&small(vec![-1.0, 2.0], vec![1.0, 1.0], vec![0.0, 1.0]))),
        SurvivalError::NegativeTime { .. }
    ));
    assert!(matches!(
        surv(p.fit(&small(vec![1.0, 2.0], vec![1.0, 2.0], vec![0.0, 1.0]))),
        SurvivalError::UndeclaredEvent { .. }
    ));
    assert!(matches!(
        surv(p.fit(&small(vec![1.0, 2.0], vec![0.0, 0.0], vec![0.0, 1.0]))),
        SurvivalError::NoEvents { .. }
    ));
    // Zero durations: dropped and reported.
    let z = p
        .fit(&small(vec![0.0, 1.0, 2.0, 3.0, 4.0], vec![1.0, 1.0, 0.0, 1.0, 1.0], vec![0.3, 0.1, 0.5, 0.2, 0.9]))
        .unwrap();
    assert_eq!((z.n_zero_duration, z.n_obs), (1, 4));
    assert!(z.warnings.iter().any(|w| w.code == "zero_duration"));
    // stop <= start in counting form.
    let f = Frame::new()
        .with_column("a", float(vec![0.0, 3.0]))
        .unwrap()
        .with_column("b", float(vec![2.0, 3.0]))
        .unwrap()
        .with_column("e", float(vec![1.0, 1.0]))
        .unwrap()
        .with_column("x", float(vec![0.0, 1.0]))
        .unwrap();
    assert!(matches!(surv(Coxph::new("Surv(a, b, e) ~ x").fit(&f)), SurvivalError::StopNotAfterStart { .. }));
    // NaN dropped and counted; inf an error.
    let nan = small(vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![1.0, 0.0, 1.0, 1.0, 1.0], vec![0.1, f64::NAN, 0.2, 0.9, 0.4]);
    assert_eq!(p.fit(&nan).unwrap().drops.n_missing, 1);
    let inf = small(vec![1.0, 2.0, 3.0], vec![1.0, 0.0, 1.0], vec![0.1, f64::INFINITY, 0.2]);
    assert!(matches!(p.fit(&inf), Err(virkning::Error::Data(virkning::data::DataError::NonFinite { .. }))));
    // Collinear covariate: dropped with a warning.
    let c = Coxph::new("Surv(t, e) ~ x + x2").fit(&ok).unwrap();
    assert_eq!(c.collinear, vec!["x2".to_string()]);
    assert!(c.warnings.iter().any(|w| w.code == "collinearity"));
    // One cluster.
    assert!(matches!(
        Coxph::new("Surv(t, e) ~ x").cluster("g").fit(&ok),
        Err(virkning::Error::Data(virkning::data::DataError::SingleCluster { .. }))
    ));
    // Every unit failing, heavy ties: fine.
    let all = small(vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0], vec![1.0; 6], vec![0.1, 0.7, 0.3, 0.9, 0.2, 0.5]);
    let fa = p.fit(&all).unwrap();
    assert!(fa.converged && fa.coefficients[0].std_error.is_finite());
    let mut km = KaplanMeier::new("t", "e");
    km.group = None;
    let k = km.fit(&all).unwrap();
    assert_eq!(*k.curves[0].surv.last().unwrap(), 0.0);
    assert!(k.curves[0].conf_low.last().unwrap().is_nan());
    // Separation: x perfectly orders the event times.
    let sep = small(
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        vec![1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
        vec![1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
    );
    let fs = p.fit(&sep).unwrap();
    assert!(fs.warnings.iter().any(|w| w.code == "separation"), "{:?}", fs.warnings);
}

/// Exponential times with a known log hazard ratio; the 95% interval covers it.
fn simulate(n: usize, beta: f64, seed: u64) -> Frame<'static> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut unif = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (mut t, mut e, mut x) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let xi = if unif() < 0.5 { 1.0 } else { 0.0 };
        let ti = -unif().ln() / (0.1 * (beta * xi).exp());
        let ci = -unif().ln() / 0.05;
        t.push((ti.min(ci) * 4.0).ceil() / 4.0); // quarter-week grid: ties
        e.push(if ti <= ci { 1.0 } else { 0.0 });
        x.push(xi);
    }
    Frame::new()
        .with_column("t", float(t))
        .unwrap()
        .with_column("e", float(e))
        .unwrap()
        .with_column("x", float(x))
        .unwrap()
}

fn coverage(reps: u64, n: usize) -> f64 {
    let beta = -0.5;
    let covered = (0..reps)
        .filter(|&s| {
            let fit = Coxph::new("Surv(t, e) ~ x").fit(&simulate(n, beta, s)).unwrap();
            let c = &fit.coefficients[0];
            c.conf_low <= beta && beta <= c.conf_high
        })
        .count();
    covered as f64 / reps as f64
}

#[test]
fn cox_recovers_a_known_hazard_ratio() {
    let fit = Coxph::new("Surv(t, e) ~ x").fit(&simulate(20_000, -0.5, 7)).unwrap();
    assert!((fit.coefficients[0].estimate + 0.5).abs() < 0.05, "{}", fit.coefficients[0].estimate);
    let c = coverage(100, 400);
    assert!((0.88..=0.99).contains(&c), "coverage {c}");
}

#[test]
#[ignore = "slow: 2,000 replications (cargo test --release --test survival_reference -- --ignored)"]
fn cox_interval_coverage_is_95_percent() {
    let c = coverage(2_000, 500);
    assert!((0.935..=0.965).contains(&c), "coverage {c}");
}

#[test]
fn cumulative_incidence_equals_cmprsk() {
    let r = reference();
    let data = read_csv("data/mgus2.csv");
    for (name, group) in [("cuminc_mgus2", None), ("cuminc_mgus2_sex", Some("sex"))] {
        let p = virkning::survival::Cuminc {
            duration: "etime".into(),
            event: "event".into(),
            group: group.map(str::to_string),
        };
        let out = virkning::survival::cuminc(&data, &p).unwrap();
        for c in &out.curves {
            let key = format!("{} {}", if group.is_some() { c.group.as_str() } else { "1" }, c.cause);
            let rc = &r[name][&key];
            assert_eq!(c.time, nums(&rc["time"]), "{name} {key} times");
            for (k, (e, v)) in nums(&rc["est"]).iter().zip(nums(&rc["var"])).enumerate() {
                assert_close(c.estimate[k], *e, 1e-10, &format!("{name} {key} est {k}"));
                assert_close(c.variance[k], v, 1e-8, &format!("{name} {key} var {k}"));
            }
        }
    }
}
