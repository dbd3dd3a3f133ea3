//! Harrell's concordance of a Cox model, as R survival's `concordance()` (Therneau & Watson
//! 2017): over comparable pairs (the earlier time is an event; a censoring at the same time
//! counts as later; (start, stop] risk sets; within strata), a pair is concordant when the
//! earlier failure has the larger linear predictor. Pairs are weighted by $w_i w_j$.
//! $C = (n_c + n_{tx}/2) / (n_c + n_d + n_{tx})$. One sweep per stratum with a Fenwick tree
//! over the ranks of the linear predictor: O(n log n).

use serde::{Deserialize, Serialize};

use super::sample::CoxSample;

/// Concordance and its pair counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concordance {
    /// $C$.
    pub concordance: f64,
    /// Weighted concordant pairs.
    pub concordant: f64,
    /// Weighted discordant pairs.
    pub discordant: f64,
    /// Pairs tied on the linear predictor (count half).
    pub tied_risk: f64,
    /// Pairs of events at the same time with different predictors (not comparable).
    pub tied_time: f64,
    /// Pairs of events at the same time with equal predictors.
    pub tied_both: f64,
}

struct Fenwick(Vec<f64>);

impl Fenwick {
    fn add(&mut self, mut i: usize, v: f64) {
        i += 1;
        while i < self.0.len() {
            self.0[i] += v;
            i += i & i.wrapping_neg();
        }
    }
    /// Sum over ranks < i.
    fn below(&self, mut i: usize) -> f64 {
        let mut s = 0.0;
        while i > 0 {
            s += self.0[i];
            i -= i & i.wrapping_neg();
        }
        s
    }
}

pub(crate) fn concordance(s: &CoxSample, eta: &[f64]) -> Concordance {
    // Dense ranks of the linear predictor (exact ties share a rank).
    let mut idx: Vec<u32> = (0..s.n as u32).collect();
    idx.sort_unstable_by(|&a, &b| eta[a as usize].total_cmp(&eta[b as usize]));
    let mut rank = vec![0usize; s.n];
    let mut m = 0;
    for (k, &i) in idx.iter().enumerate() {
        if k > 0 && eta[i as usize] != eta[idx[k - 1] as usize] {
            m += 1;
        }
        rank[i as usize] = m;
    }
    let nr = m + 1;
    let (mut nc, mut nd, mut ntx, mut nty, mut ntxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for st in &s.strata {
        let mut tree = Fenwick(vec![0.0; nr + 1]);
        let mut total = 0.0;
        let mut rm = 0;
        let order = &st.by_stop;
        let mut i = 0;
        while i < order.len() {
            let t = s.stop[order[i] as usize];
            let mut j = i;
            while j < order.len() && s.stop[order[j] as usize] == t {
                j += 1;
            }
            if let Some(start) = &s.start {
                while rm < st.by_start.len() && start[st.by_start[rm] as usize] >= t {
                    let r = st.by_start[rm] as usize;
                    // Only rows already in the tree (stop > t) are removed now; rows with
                    // stop == t are not yet added and have start < t.
                    tree.add(rank[r], -s.weights[r]);
                    total -= s.weights[r];
                    rm += 1;
                }
            }
            let group = &order[i..j];
            for &r in group.iter().filter(|&&r| !s.event[r as usize]) {
                tree.add(rank[r as usize], s.weights[r as usize]);
                total += s.weights[r as usize];
            }
            let deaths: Vec<usize> = group.iter().map(|&r| r as usize).filter(|&r| s.event[r]).collect();
            for &d in &deaths {
                let w = s.weights[d];
                let below = tree.below(rank[d]);
                let upto = tree.below(rank[d] + 1);
                nc += w * below;
                ntx += w * (upto - below);
                nd += w * (total - upto);
            }
            // Pairs of events at this time: all of them, and those with equal predictors,
            // from sums of weights (no pair loop under heavy ties).
            let pairs = |ws: &mut dyn Iterator<Item = f64>| {
                let (sum, sq) = ws.fold((0.0, 0.0), |(a, b), w| (a + w, b + w * w));
                (sum * sum - sq) / 2.0
            };
            let all = pairs(&mut deaths.iter().map(|&d| s.weights[d]));
            let mut by_rank: Vec<(usize, f64)> = deaths.iter().map(|&d| (rank[d], s.weights[d])).collect();
            by_rank.sort_unstable_by_key(|x| x.0);
            let mut same = 0.0;
            for run in by_rank.chunk_by(|a, b| a.0 == b.0) {
                same += pairs(&mut run.iter().map(|x| x.1));
            }
            ntxy += same;
            nty += all - same;
            for &d in &deaths {
                tree.add(rank[d], s.weights[d]);
                total += s.weights[d];
            }
            i = j;
        }
    }
    Concordance {
        concordance: (nc + ntx / 2.0) / (nc + nd + ntx),
        concordant: nc,
        discordant: nd,
        tied_risk: ntx,
        tied_time: nty,
        tied_both: ntxy,
    }
}
