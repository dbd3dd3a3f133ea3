//! One-dimensional minimisation: Brent's (1973) method, shared by every estimator that
//! profiles a criterion over one parameter (the random-intercept variance ratio of `mixedlm`,
//! the between-unit variance of the benchmarking shrinkage).
//!
//! Reference: Brent, R. P. (1973), *Algorithms for Minimization without Derivatives*, ch. 5.

/// Brent's (1973) minimiser on `[a, b]`: golden-section steps with parabolic interpolation.
/// Returns (argmin, min, converged).
pub fn brent_minimize(f: &mut dyn FnMut(f64) -> f64, a: f64, b: f64, tol: f64, max_iter: usize) -> (f64, f64, bool) {
    const CGOLD: f64 = 0.381_966_011_250_105_1;
    let (mut a, mut b) = (a.min(b), a.max(b));
    let mut x = a + CGOLD * (b - a);
    let (mut w, mut v) = (x, x);
    let mut fx = f(x);
    let (mut fw, mut fv) = (fx, fx);
    let (mut d, mut e) = (0.0f64, 0.0f64);
    for _ in 0..max_iter {
        let xm = 0.5 * (a + b);
        let tol1 = tol * x.abs() + 1e-14;
        let tol2 = 2.0 * tol1;
        if (x - xm).abs() <= tol2 - 0.5 * (b - a) {
            return (x, fx, true);
        }
        let mut golden = true;
        if e.abs() > tol1 {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            let etemp = e;
            e = d;
            if !(p.abs() >= (0.5 * q * etemp).abs() || p <= q * (a - x) || p >= q * (b - x)) {
                d = p / q;
                let u = x + d;
                if u - a < tol2 || b - u < tol2 {
                    d = tol1.copysign(xm - x);
                }
                golden = false;
            }
        }
        if golden {
            e = if x >= xm { a - x } else { b - x };
            d = CGOLD * e;
        }
        let u = if d.abs() >= tol1 { x + d } else { x + tol1.copysign(d) };
        let fu = f(u);
        if fu <= fx {
            if u >= x {
                a = x;
            } else {
                b = x;
            }
            (v, fv, w, fw, x, fx) = (w, fw, x, fx, u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    (x, fx, false)
}

#[cfg(test)]
mod tests {
    use super::brent_minimize;

    #[test]
    fn finds_the_minimum_of_a_parabola_and_of_a_boundary_minimum() {
        let (x, fx, ok) = brent_minimize(&mut |x| (x - 0.3).powi(2) + 1.0, 0.0, 2.0, 1e-12, 200);
        assert!(ok && (x - 0.3).abs() < 1e-8 && (fx - 1.0).abs() < 1e-15);
        let (x, _, ok) = brent_minimize(&mut |x: f64| x, 1.0, 0.0, 1e-10, 200);
        assert!(ok && x < 1e-8);
    }
}
