//! The simulated municipality panel: shape, determinism, calibration and true effects.

use std::collections::{BTreeMap, BTreeSet};

use virkning::data::Frame;
use virkning::regression::Feols;
use virkning::simulate::{
    simulate_municipalities, MunicipalityPanelParams, SimulatedPanel, FURESOE_CODE, LEJRE_CODE, LEJRE_KEY,
    MIDDELFART_CODE, MUNICIPALITY_GROUPS, SPROGPRAKTIK_KEY,
};

fn default_panel() -> SimulatedPanel {
    simulate_municipalities(&MunicipalityPanelParams::default()).unwrap()
}

fn values(frame: &Frame<'_>, name: &str) -> Vec<f64> {
    let c = frame.column(name).unwrap();
    (0..frame.n_rows()).map(|i| c.value(i).unwrap()).collect()
}

fn labels(frame: &Frame<'_>, name: &str) -> Vec<String> {
    let c = frame.column(name).unwrap();
    (0..frame.n_rows()).map(|i| c.label(i)).collect()
}

/// National (refugee-weighted) employment rate by year: sum employed / sum refugees.
fn national_rates(frame: &Frame<'_>) -> BTreeMap<i64, f64> {
    let year = values(frame, "year");
    let refugees = values(frame, "refugees");
    let employed = values(frame, "employed");
    let mut acc: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for i in 0..frame.n_rows() {
        let e = acc.entry(year[i] as i64).or_default();
        e.0 += employed[i];
        e.1 += refugees[i];
    }
    acc.into_iter().map(|(y, (e, n))| (y, e / n)).collect()
}

fn mean_over(rates: &BTreeMap<i64, f64>, from: i64, to: i64) -> f64 {
    let v: Vec<f64> = (from..=to).map(|y| rates[&y]).collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn simulate_shape_and_columns() {
    let p = default_panel();
    let f = &p.frame;
    assert_eq!(f.n_rows(), 1470);
    let expected = [
        "municipality_code",
        "municipality",
        "region",
        "municipality_group",
        "year",
        "refugees",
        "employed",
        "employment_rate",
        "unemployment_rate",
        "share_women",
        "share_short_education",
        "share_syria",
        "share_eritrea",
        "share_other_origin",
        "mean_years_in_denmark",
        "igu_year",
        "igu",
        "partnership_year",
        "partnership",
        "programme_year",
        "programme",
        "sprogpraktik_share",
        "true_effect",
        "partnership_end_year",
        "partnership_active",
        "baseline_unemployment",
        "true_effect_igu",
        "true_effect_partnership",
        "true_effect_programme",
        "true_effect_sprogpraktik",
    ];
    assert_eq!(f.names(), expected);
    let codes: BTreeSet<i64> = values(f, "municipality_code").into_iter().map(|c| c as i64).collect();
    assert_eq!(codes.len(), 98);
    let names: BTreeSet<String> = labels(f, "municipality").into_iter().collect();
    assert_eq!(names.len(), 98);
    assert!(names.contains("København") && names.contains("Lejre") && names.contains("Ærø"));
    let years: BTreeSet<i64> = values(f, "year").into_iter().map(|y| y as i64).collect();
    assert_eq!(years, (2010..=2024).collect());
    let groups: BTreeSet<String> = labels(f, "municipality_group").into_iter().collect();
    assert_eq!(groups, MUNICIPALITY_GROUPS.iter().map(|g| g.to_string()).collect());
    for name in f.names() {
        let c = f.column(name).unwrap();
        assert!((0..f.n_rows()).all(|i| !c.is_missing(i)), "{name} has missing values");
    }
}

#[test]
fn simulate_is_deterministic_for_a_seed() {
    let a = default_panel();
    let b = default_panel();
    let c = simulate_municipalities(&MunicipalityPanelParams { seed: 7, ..Default::default() }).unwrap();
    for name in ["refugees", "employed", "employment_rate", "unemployment_rate", "igu_year", "true_effect"] {
        assert_eq!(values(&a.frame, name), values(&b.frame, name), "{name}");
    }
    assert_ne!(values(&a.frame, "employment_rate"), values(&c.frame, "employment_rate"));
    assert_ne!(values(&a.frame, "refugees"), values(&c.frame, "refugees"));
    assert_eq!(a.true_effects, b.true_effects);
}

#[test]
fn simulate_national_rates_are_calibrated() {
    let p = default_panel();
    let rates = national_rates(&p.frame);
    for (y, r) in &rates {
        println!("{y}: {:.3}", r);
    }
    let early = mean_over(&rates, 2010, 2015);
    let late = mean_over(&rates, 2019, 2024);
    assert!((0.24..=0.31).contains(&early), "2010-2015 mean {early}");
    assert!((0.43..=0.52).contains(&late), "2019-2024 mean {late}");
    // The influx dip: 2016 below 2014.
    assert!(rates[&2016] < rates[&2014]);
    // Other seeds stay in the windows too.
    for seed in [1, 2, 3] {
        let s = simulate_municipalities(&MunicipalityPanelParams { seed, ..Default::default() }).unwrap();
        let r = national_rates(&s.frame);
        let (e, l) = (mean_over(&r, 2010, 2015), mean_over(&r, 2019, 2024));
        assert!((0.24..=0.31).contains(&e) && (0.43..=0.52).contains(&l), "seed {seed}: {e} {l}");
    }
}

#[test]
fn simulate_counts_and_shares_are_valid() {
    let p = default_panel();
    let f = &p.frame;
    let refugees = values(f, "refugees");
    let employed = values(f, "employed");
    let rate = values(f, "employment_rate");
    for i in 0..f.n_rows() {
        assert_eq!(refugees[i].fract(), 0.0);
        assert_eq!(employed[i].fract(), 0.0);
        assert!(refugees[i] >= 1.0 && employed[i] >= 0.0 && employed[i] <= refugees[i]);
        assert!((rate[i] - employed[i] / refugees[i]).abs() < 1e-15);
    }
    let (syr, eri, oth) = (values(f, "share_syria"), values(f, "share_eritrea"), values(f, "share_other_origin"));
    for i in 0..f.n_rows() {
        assert!((syr[i] + eri[i] + oth[i] - 1.0).abs() < 1e-9);
    }
    let sprog = values(f, "sprogpraktik_share");
    assert!(sprog.iter().all(|s| (0.0..=0.3).contains(s)));
    let unemp = values(f, "unemployment_rate");
    assert!(unemp.iter().all(|u| (0.01..=0.15).contains(u)));
    // Copenhagen is the largest in 2016.
    let code = values(f, "municipality_code");
    let year = values(f, "year");
    let max_2016 = (0..f.n_rows()).filter(|&i| year[i] == 2016.0).max_by(|&a, &b| refugees[a].total_cmp(&refugees[b]));
    assert_eq!(code[max_2016.unwrap()], 101.0);
}

#[test]
fn simulate_programme_and_adoption() {
    let p = default_panel();
    let f = &p.frame;
    let code = values(f, "municipality_code");
    let year = values(f, "year");
    let prog = values(f, "programme");
    let prog_year = values(f, "programme_year");
    let programme: BTreeSet<i64> =
        (0..f.n_rows()).filter(|&i| prog_year[i] == 2016.0).map(|i| code[i] as i64).collect();
    assert_eq!(programme.len(), 17);
    assert!(programme.contains(&350) && programme.contains(&461));
    for i in 0..f.n_rows() {
        let on = prog_year[i] > 0.0 && year[i] >= 2016.0;
        assert_eq!(prog[i], if on { 1.0 } else { 0.0 });
    }
    // Adoption years per municipality.
    let igu_year = values(f, "igu_year");
    let part_year = values(f, "partnership_year");
    let mut igu: BTreeMap<i64, i64> = BTreeMap::new();
    let mut part: BTreeMap<i64, i64> = BTreeMap::new();
    for i in 0..f.n_rows() {
        igu.insert(code[i] as i64, igu_year[i] as i64);
        part.insert(code[i] as i64, part_year[i] as i64);
    }
    let igu_never = igu.values().filter(|&&y| y == 0).count();
    let part_never = part.values().filter(|&&y| y == 0).count();
    assert!((15..=25).contains(&igu_never), "igu never {igu_never}");
    assert!((25..=35).contains(&part_never), "partnership never {part_never}");
    assert!(igu.values().all(|&y| y == 0 || (2016..=2019).contains(&y)));
    assert!(part.values().all(|&y| y == 0 || (2013..=2022).contains(&y)));
    assert_eq!(part[&LEJRE_CODE], 2015);
    assert_eq!(igu[&LEJRE_CODE], 0);
    // Middelfart combines IGU (2016) with a partnership (2017); Furesø's runs 2017-2018 only.
    assert_eq!((igu[&MIDDELFART_CODE], part[&MIDDELFART_CODE]), (2016, 2017));
    assert_eq!(part[&FURESOE_CODE], 2017);
    // Several interventions overlap in the same municipalities at different times.
    let both_differ = igu.iter().filter(|(c, &y)| y > 0 && part[c] > 0 && part[c] != y).count();
    assert!(both_differ >= 30, "{both_differ} municipalities with IGU and a partnership in different years");
}

#[test]
fn simulate_partnerships_can_end() {
    let p = default_panel();
    let f = &p.frame;
    let (code, year) = (values(f, "municipality_code"), values(f, "year"));
    let (part, active) = (values(f, "partnership"), values(f, "partnership_active"));
    let (start, end) = (values(f, "partnership_year"), values(f, "partnership_end_year"));
    let truth = values(f, "true_effect_partnership");
    let mut ended = BTreeSet::new();
    for i in 0..f.n_rows() {
        let on = start[i] > 0.0 && year[i] >= start[i] && (end[i] == 0.0 || year[i] <= end[i]);
        assert_eq!(active[i], if on { 1.0 } else { 0.0 }, "row {i}");
        assert!(active[i] <= part[i]);
        if end[i] > 0.0 {
            assert_eq!(end[i], start[i] + 1.0, "two-year terms");
            if year[i] > end[i] {
                ended.insert(code[i] as i64);
                // No effect after the agreement ended.
                assert_eq!(truth[i], 0.0);
            }
        }
        if active[i] == 1.0 {
            assert!(truth[i] > 0.0);
        }
    }
    assert!(ended.contains(&FURESOE_CODE));
    assert!((10..=30).contains(&ended.len()), "{} agreements ended", ended.len());
    let furesoe: Vec<f64> = (0..f.n_rows()).filter(|&i| code[i] as i64 == FURESOE_CODE).map(|i| active[i]).collect();
    assert_eq!(furesoe.iter().sum::<f64>(), 2.0);
}

/// Adoption is drawn before, and independently of, the outcome's shocks: changing the shock
/// process or the effects leaves every adoption year and the baseline unemployment unchanged.
#[test]
fn simulate_adoption_ignores_the_outcome_shocks() {
    let d = default_panel();
    for p in [
        MunicipalityPanelParams { shock_sd: 0.05, shock_rho: 0.9, ..Default::default() },
        MunicipalityPanelParams { effect_scale: 0.0, municipality_sd: 0.0, ..Default::default() },
    ] {
        let s = simulate_municipalities(&p).unwrap();
        for name in
            ["igu_year", "partnership_year", "partnership_end_year", "baseline_unemployment", "unemployment_rate"]
        {
            assert_eq!(values(&s.frame, name), values(&d.frame, name), "{name}");
        }
        assert_ne!(values(&s.frame, "employment_rate"), values(&d.frame, "employment_rate"));
    }
}

#[test]
fn simulate_igu_adopters_have_higher_baseline_unemployment() {
    // The documented selection on an observed frame condition: adopters' baseline unemployment
    // is higher, which is why the IGU estimates need `unemployment_rate` as a covariate.
    let p = default_panel();
    let f = &p.frame;
    let (igu_year, base, year) = (values(f, "igu_year"), values(f, "baseline_unemployment"), values(f, "year"));
    let mean = |adopt: bool| {
        let v: Vec<f64> =
            (0..f.n_rows()).filter(|&i| year[i] == 2016.0 && (igu_year[i] > 0.0) == adopt).map(|i| base[i]).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    println!("baseline unemployment: adopters {:.4}, never {:.4}", mean(true), mean(false));
    assert!(mean(true) > 1.1 * mean(false));
}

#[test]
fn simulate_true_att_is_the_mean_over_treated_cells() {
    let p = default_panel();
    let f = &p.frame;
    let year = values(f, "year");
    for iv in ["igu", "partnership", "programme"] {
        let g = values(f, &format!("{iv}_year"));
        let tau = values(f, &format!("true_effect_{iv}"));
        let cells: Vec<usize> = (0..f.n_rows()).filter(|&i| g[i] > 0.0 && year[i] >= g[i]).collect();
        let att = p.true_att(iv).unwrap();
        assert_eq!(att.n_cells, cells.len());
        let simple = cells.iter().map(|&i| tau[i]).sum::<f64>() / cells.len() as f64;
        assert!((att.simple - simple).abs() < 1e-12, "{iv}");
        for row in &att.dynamic {
            let at_e: Vec<f64> =
                cells.iter().filter(|&&i| year[i] - g[i] == row.event_time as f64).map(|&i| tau[i]).collect();
            assert_eq!(row.n_cells, at_e.len());
            assert!((row.effect - at_e.iter().sum::<f64>() / at_e.len() as f64).abs() < 1e-12);
        }
        let n_e = att.dynamic.len() as f64;
        assert!((att.dynamic_mean - att.dynamic.iter().map(|r| r.effect).sum::<f64>() / n_e).abs() < 1e-12);
        println!("{iv}: simple {:.4}, dynamic mean {:.4}", att.simple, att.dynamic_mean);
    }
    assert_eq!(p.true_att("programme").unwrap().simple, 0.0);
    assert!(p.true_att("igu").unwrap().simple > 0.03);
    assert!(p.true_att("nothing").is_none());
}

#[test]
fn simulate_true_effect_column_matches_table() {
    for scale in [1.0, 0.5] {
        let p =
            simulate_municipalities(&MunicipalityPanelParams { effect_scale: scale, ..Default::default() }).unwrap();
        let f = &p.frame;
        let code = values(f, "municipality_code");
        let year = values(f, "year");
        let group = labels(f, "municipality_group");
        let (igu, igu_year) = (values(f, "igu"), values(f, "igu_year"));
        let (part, part_year) = (values(f, "partnership_active"), values(f, "partnership_year"));
        let prog = values(f, "programme");
        let sprog = values(f, "sprogpraktik_share");
        let truth = values(f, "true_effect");
        let slope = p.true_effect("sprogpraktik", SPROGPRAKTIK_KEY, 0).unwrap();
        assert_eq!(slope, 0.10 * scale);
        let mut treated = 0;
        for i in 0..f.n_rows() {
            let mut sum = slope * sprog[i];
            if igu[i] == 1.0 {
                sum += p.true_effect("igu", &group[i], (year[i] - igu_year[i]) as i64).unwrap();
                treated += 1;
            }
            if part[i] == 1.0 {
                let key = if code[i] as i64 == LEJRE_CODE { LEJRE_KEY } else { group[i].as_str() };
                sum += p.true_effect("partnership", key, (year[i] - part_year[i]) as i64).unwrap();
            }
            if prog[i] == 1.0 {
                sum += p.true_effect("programme", &group[i], (year[i] - 2016.0) as i64).unwrap();
            }
            assert!((sum - truth[i]).abs() < 1e-12, "row {i}: {sum} vs {}", truth[i]);
            let parts: f64 = ["igu", "partnership", "programme", "sprogpraktik"]
                .iter()
                .map(|iv| f.column(&format!("true_effect_{iv}")).unwrap().value(i).unwrap())
                .sum();
            assert!((parts - truth[i]).abs() < 1e-12, "row {i}: parts {parts} vs {}", truth[i]);
        }
        assert!(treated > 300);
        // Lejre: about 10 pp from 2016.
        let lejre_2017 = (0..f.n_rows()).find(|&i| code[i] as i64 == LEJRE_CODE && year[i] == 2017.0).unwrap();
        assert!(truth[lejre_2017] >= 0.10 * scale);
    }
}

#[test]
fn simulate_effect_scale_zero_is_a_placebo_world() {
    let p = simulate_municipalities(&MunicipalityPanelParams { effect_scale: 0.0, ..Default::default() }).unwrap();
    assert!(values(&p.frame, "true_effect").iter().all(|&t| t == 0.0));
    assert!(p.true_effects.iter().all(|e| e.effect == 0.0));
    // Same treatment assignment as the default world.
    let d = default_panel();
    assert_eq!(values(&p.frame, "partnership"), values(&d.frame, "partnership"));
}

#[test]
fn simulate_true_effects_table_is_complete() {
    let p = default_panel();
    let count = |iv: &str| p.true_effects.iter().filter(|e| e.intervention == iv).count();
    assert_eq!(count("igu"), 5 * 9); // event times 0..=8
    assert_eq!(count("partnership"), 5 * 12 + 10); // 0..=11 per group, Lejre 0..=9
    assert_eq!(count("programme"), 5 * 9);
    assert_eq!(count("sprogpraktik"), 1);
    assert_eq!(p.true_effect("igu", "Landkommuner", 5), Some(0.08 * 1.3));
    assert_eq!(p.true_effect("igu", "Landkommuner", 8), Some(0.08 * 1.3));
    assert_eq!(p.true_effect("partnership", "Hovedstadskommuner", 0), Some(0.02 * 0.85));
    let json = serde_json::to_string(&p.true_effects).unwrap();
    assert!(json.contains("\"Lejre\""));
}

/// The lessons of the design, as a static TWFE regression sees them: with the growing,
/// heterogeneous IGU effects its coefficient falls short of the true ATT (the mean over treated
/// municipality-years); in the placebo world it finds an IGU "effect" unless it conditions on
/// the frame condition adoption depends on (`unemployment_rate`), and with it covers 0.
#[test]
fn simulate_twfe_lessons() {
    let p = default_panel();
    let formula = "employment_rate ~ igu + partnership_active + programme + sprogpraktik_share + unemployment_rate \
                   | municipality_code + year";
    let fit = Feols::new(formula).fit(&p.frame).unwrap();
    let igu = fit.coef("igu").unwrap();
    let part = fit.coef("partnership_active").unwrap();
    let truth = p.true_att("igu").unwrap().simple;
    println!("igu {:.4} [{:.4}, {:.4}], true ATT {truth:.4}", igu.estimate, igu.conf_low, igu.conf_high);
    println!("partnership_active {:.4} [{:.4}, {:.4}]", part.estimate, part.conf_low, part.conf_high);
    assert!(igu.conf_high < truth, "static TWFE should fall short of the growing IGU effect");
    assert!(part.conf_low > 0.0 && part.estimate < 0.10);
    // Placebo worlds (no effect anywhere), seeds 1-10: without the covariate the IGU adopters'
    // faster-falling unemployment shows up as an "effect"; with it the intervals cover 0.
    let (mut naive_sum, mut adjusted_sum, mut covered) = (0.0, 0.0, 0);
    for seed in 1..=10 {
        let p0 = simulate_municipalities(&MunicipalityPanelParams { seed, effect_scale: 0.0, ..Default::default() })
            .unwrap();
        let naive = Feols::new("employment_rate ~ igu | municipality_code + year").fit(&p0.frame).unwrap();
        let adjusted =
            Feols::new("employment_rate ~ igu + unemployment_rate | municipality_code + year").fit(&p0.frame).unwrap();
        let (n, a) = (naive.coef("igu").unwrap(), adjusted.coef("igu").unwrap());
        println!(
            "placebo seed {seed}: naive {:.4}, adjusted {:.4} [{:.4}, {:.4}]",
            n.estimate, a.estimate, a.conf_low, a.conf_high
        );
        naive_sum += n.estimate;
        adjusted_sum += a.estimate;
        covered += usize::from(a.conf_low <= 0.0 && 0.0 <= a.conf_high);
    }
    assert!(
        (naive_sum - adjusted_sum) / 10.0 > 0.003,
        "naive mean {}, adjusted {}",
        naive_sum / 10.0,
        adjusted_sum / 10.0
    );
    assert!((adjusted_sum / 10.0).abs() < 0.004, "adjusted mean {}", adjusted_sum / 10.0);
    assert!(covered >= 8, "{covered} of 10");
}
