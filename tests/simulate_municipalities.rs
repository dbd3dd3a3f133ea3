//! The simulated municipality panel: shape, determinism, calibration and true effects.

use std::collections::{BTreeMap, BTreeSet};

use virkning::data::Frame;
use virkning::regression::Feols;
use virkning::simulate::{
    simulate_municipalities, MunicipalityPanelParams, SimulatedPanel, LEJRE_CODE, LEJRE_KEY, MUNICIPALITY_GROUPS,
    SPROGPRAKTIK_KEY,
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
        let (part, part_year) = (values(f, "partnership"), values(f, "partnership_year"));
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
    assert_eq!(p.true_effect("igu", "Landkommuner", 5), Some(0.03 * 1.3));
    assert_eq!(p.true_effect("partnership", "Hovedstadskommuner", 0), Some(0.02 * 0.85));
    let json = serde_json::to_string(&p.true_effects).unwrap();
    assert!(json.contains("\"Lejre\""));
}

#[test]
fn simulate_twfe_finds_partnership_not_programme() {
    let p = default_panel();
    let fit =
        Feols::new("employment_rate ~ partnership + igu + programme | municipality_code + year").fit(&p.frame).unwrap();
    let prog = fit.coef("programme").unwrap();
    let part = fit.coef("partnership").unwrap();
    let igu = fit.coef("igu").unwrap();
    println!("partnership {:.4} [{:.4}, {:.4}]", part.estimate, part.conf_low, part.conf_high);
    println!("igu {:.4} [{:.4}, {:.4}]", igu.estimate, igu.conf_low, igu.conf_high);
    println!("programme {:.4} [{:.4}, {:.4}]", prog.estimate, prog.conf_low, prog.conf_high);
    // The programme has no true effect; naive TWFE picks up a little of Lejre's large partnership
    // effect and of the larger effects in rural members, so only require the estimate to be small.
    assert!(prog.estimate.abs() < 0.02);
    assert!(part.estimate > 0.0 && part.conf_low > 0.0);
    assert!(part.estimate < 0.10);
    // In the placebo world nothing is found.
    let p0 = simulate_municipalities(&MunicipalityPanelParams { effect_scale: 0.0, ..Default::default() }).unwrap();
    let fit0 = Feols::new("employment_rate ~ partnership + igu + programme | municipality_code + year")
        .fit(&p0.frame)
        .unwrap();
    for term in ["partnership", "igu", "programme"] {
        let e = fit0.coef(term).unwrap();
        println!("placebo {term} {:.4} [{:.4}, {:.4}]", e.estimate, e.conf_low, e.conf_high);
        assert!(e.estimate.abs() < 0.02, "{term}");
    }
    assert!(fit0.coef("programme").map(|e| e.conf_low <= 0.0 && 0.0 <= e.conf_high).unwrap());
}
