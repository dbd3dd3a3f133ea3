//! The fixest-style formula grammar, parsed once in Rust for Rust, Python and the command line.
//!
//! ```text
//! formula := outcome "~" rhs [ "|" fixed_effects ]
//! rhs     := item { ("+" | "-") item }        item: term | "0" | "1"
//! term    := factor { (":" | "*") factor }    a*b expands to a + b + a:b; a repeated factor counts once
//! factor  := name | "C(" name ")" | "i(" name [ "," name ] [ "," "ref" "=" value(s) ] ")"
//! fixed_effects := fe { "+" fe }              fe := name { "^" name }
//! ```
//! Names may contain letters, digits, `_` and `.`, or be quoted in backticks.

use serde::{Deserialize, Serialize};

/// A formula that could not be parsed, with the position of the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FormulaError {
    /// Syntax error at a character position.
    #[error("could not parse formula at position {position}: {message}\n  {formula}\n  {}^", " ".repeat(*.position))]
    Syntax {
        /// The formula text.
        formula: String,
        /// 0-based character position.
        position: usize,
        /// What was expected.
        message: String,
    },
}

/// One factor of an interaction term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// A column: numeric as is, text/categorical as dummies.
    Var(String),
    /// `C(x)`: `x` as dummies with its first level as reference.
    Categorical(String),
    /// `i(x, by, ref=r)`: one dummy per value of `x` except the references, optionally times `by`.
    Indicator {
        /// Variable whose values get dummies.
        var: String,
        /// Optional numeric variable the dummies multiply.
        by: Option<String>,
        /// Reference values left out (as labels: `-1`, `2004`, `a`).
        refs: Vec<String>,
    },
}

impl Factor {
    /// Columns this factor reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Factor::Var(v) | Factor::Categorical(v) => vec![v],
            Factor::Indicator { var, by, .. } => std::iter::once(var.as_str()).chain(by.as_deref()).collect(),
        }
    }
}

/// A term: the product (interaction) of its factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// Factors multiplied together (`a:b` has two).
    pub factors: Vec<Factor>,
}

impl Term {
    /// A term from its factors, each factor once: `x:x` is `x` (as in R, fixest and
    /// pyfixest/formulaic), not `x` squared.
    fn new(factors: Vec<Factor>) -> Term {
        let mut out: Vec<Factor> = Vec::with_capacity(factors.len());
        for f in factors {
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Term { factors: out }
    }

    /// Whether two terms are the same interaction whatever the order of factors (`a:b` is `b:a`).
    fn same_as(&self, other: &Term) -> bool {
        self.factors.len() == other.factors.len() && self.factors.iter().all(|f| other.factors.contains(f))
    }
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Formula {
    /// The text it was parsed from.
    pub text: String,
    /// Outcome column.
    pub outcome: String,
    /// Right-hand-side terms, in order, without duplicates.
    pub terms: Vec<Term>,
    /// Whether an intercept is estimated (dropped by `0`/`-1` and whenever fixed effects are present).
    pub intercept: bool,
    /// Fixed-effect dimensions; each is one column or an interaction `a^b`.
    pub fixed_effects: Vec<Vec<String>>,
}

impl Formula {
    /// Parse a formula.
    ///
    /// # Errors
    /// [`FormulaError::Syntax`] pointing at the first character that does not fit the grammar.
    ///
    /// # Examples
    /// ```
    /// use virkning::regression::Formula;
    /// let f = Formula::parse("y ~ x1*x2 + i(rel, ref=-1) | unit + region^year").unwrap();
    /// assert_eq!(f.outcome, "y");
    /// assert_eq!(f.terms.len(), 4); // x1, x2, x1:x2, i(rel)
    /// assert_eq!(f.fixed_effects, vec![vec!["unit".to_string()], vec!["region".into(), "year".into()]]);
    /// assert!(!f.intercept);
    /// ```
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        Parser { chars: text.chars().collect(), pos: 0, text }.formula()
    }

    /// Every column the formula reads, each once, in order of appearance.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = vec![self.outcome.clone()];
        let names = self
            .terms
            .iter()
            .flat_map(|t| t.factors.iter().flat_map(|f| f.columns()))
            .chain(self.fixed_effects.iter().flatten().map(String::as_str));
        for n in names {
            if !out.iter().any(|o| o == n) {
                out.push(n.to_string());
            }
        }
        out
    }
}

struct Parser<'t> {
    chars: Vec<char>,
    pos: usize,
    text: &'t str,
}

impl Parser<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, FormulaError> {
        Err(FormulaError::Syntax { formula: self.text.to_string(), position: self.pos, message: message.into() })
    }

    fn skip_ws(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), FormulaError> {
        if self.eat(c) {
            Ok(())
        } else {
            self.err(format!("expected `{c}`"))
        }
    }

    fn name(&mut self) -> Result<String, FormulaError> {
        self.skip_ws();
        if self.eat('`') {
            let start = self.pos;
            while self.pos < self.chars.len() && self.chars[self.pos] != '`' {
                self.pos += 1;
            }
            if self.pos >= self.chars.len() {
                self.pos = start;
                return self.err("unclosed backtick");
            }
            let s: String = self.chars[start..self.pos].iter().collect();
            self.pos += 1;
            return Ok(s);
        }
        let start = self.pos;
        while self.pos < self.chars.len()
            && (self.chars[self.pos].is_alphanumeric() || "_.".contains(self.chars[self.pos]))
        {
            self.pos += 1;
        }
        if start == self.pos {
            return self.err("expected a variable name");
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    /// A reference value: an optionally signed number, a quoted string or a bare word.
    fn value(&mut self) -> Result<String, FormulaError> {
        self.skip_ws();
        match self.peek() {
            Some(q @ ('"' | '\'')) => {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.chars.len() && self.chars[self.pos] != q {
                    self.pos += 1;
                }
                if self.pos >= self.chars.len() {
                    self.pos = start;
                    return self.err("unclosed quote");
                }
                let s: String = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                Ok(s)
            }
            Some('-') => {
                self.pos += 1;
                Ok(format!("-{}", self.name()?))
            }
            _ => self.name(),
        }
    }

    fn formula(&mut self) -> Result<Formula, FormulaError> {
        let outcome = self.name()?;
        self.expect('~')?;
        let mut terms: Vec<Term> = Vec::new();
        let mut intercept = true;
        let mut sign = 1;
        loop {
            self.skip_ws();
            if matches!(self.peek(), Some('0' | '1')) && !self.word_continues() {
                let c = self.chars[self.pos];
                self.pos += 1;
                intercept = (c == '1') == (sign > 0);
            } else {
                if sign < 0 {
                    return self.err("only `- 1` (no intercept) can be subtracted");
                }
                for t in self.term()? {
                    if !terms.iter().any(|u| u.same_as(&t)) {
                        terms.push(t);
                    }
                }
            }
            match self.peek() {
                Some('+') => {
                    self.pos += 1;
                    sign = 1;
                }
                Some('-') => {
                    self.pos += 1;
                    sign = -1;
                }
                _ => break,
            }
        }
        let mut fixed_effects = Vec::new();
        if self.eat('|') {
            if self.peek() == Some('0') && !self.word_continues() {
                self.pos += 1;
            } else {
                loop {
                    let mut fe = vec![self.name()?];
                    while self.eat('^') {
                        fe.push(self.name()?);
                    }
                    fixed_effects.push(fe);
                    if !self.eat('+') {
                        break;
                    }
                }
            }
        }
        if self.peek().is_some() {
            return self.err("unexpected character");
        }
        if !fixed_effects.is_empty() {
            intercept = false;
        }
        Ok(Formula { text: self.text.to_string(), outcome, terms, intercept, fixed_effects })
    }

    /// Whether the digit at `pos` starts a longer name (like `0x`), not a bare 0/1.
    fn word_continues(&self) -> bool {
        self.chars.get(self.pos + 1).is_some_and(|c| c.is_alphanumeric() || "_.".contains(*c))
    }

    /// One term; `a*b` returns the three terms it stands for.
    fn term(&mut self) -> Result<Vec<Term>, FormulaError> {
        let mut groups: Vec<Vec<Factor>> = vec![vec![self.factor()?]];
        let mut stars = false;
        loop {
            if self.eat(':') {
                let f = self.factor()?;
                if let Some(g) = groups.last_mut() {
                    g.push(f);
                }
            } else if self.eat('*') {
                stars = true;
                groups.push(vec![self.factor()?]);
            } else {
                break;
            }
        }
        if !stars {
            return Ok(vec![Term::new(groups.remove(0))]);
        }
        // a*b*c: every non-empty subset of the starred groups, in order of size.
        let k = groups.len();
        let mut subsets: Vec<u32> = (1u32..(1 << k)).collect();
        subsets.sort_by_key(|m| (m.count_ones(), m.reverse_bits()));
        Ok(subsets
            .into_iter()
            .map(|m| Term::new((0..k).filter(|i| m & (1 << i) != 0).flat_map(|i| groups[i].clone()).collect()))
            .collect())
    }

    fn factor(&mut self) -> Result<Factor, FormulaError> {
        let name = self.name()?;
        if !self.eat('(') {
            return Ok(Factor::Var(name));
        }
        match name.as_str() {
            "C" | "factor" => {
                let v = self.name()?;
                self.expect(')')?;
                Ok(Factor::Categorical(v))
            }
            "i" => {
                let var = self.name()?;
                let mut by = None;
                let mut refs = Vec::new();
                while self.eat(',') {
                    let save = self.pos;
                    let key = self.name()?;
                    if key == "ref" && self.eat('=') {
                        refs = self.ref_values()?;
                    } else if by.is_none() && refs.is_empty() && self.peek() != Some('=') {
                        by = Some(key);
                    } else {
                        self.pos = save;
                        return self.err("expected `ref=value` or a numeric variable");
                    }
                }
                self.expect(')')?;
                Ok(Factor::Indicator { var, by, refs })
            }
            _ => {
                self.pos -= 1;
                self.err(format!("unknown function `{name}`; supported are C() and i()"))
            }
        }
    }

    /// `ref=-1`, `ref=c(-1, -5)` or `ref=[-1, -5]`.
    fn ref_values(&mut self) -> Result<Vec<String>, FormulaError> {
        let save = self.pos;
        let close = if self.eat('[') {
            ']'
        } else if self.peek() == Some('c') && self.chars.get(self.pos + 1) == Some(&'(') {
            self.pos += 2;
            ')'
        } else {
            self.pos = save;
            return Ok(vec![self.value()?]);
        };
        let mut out = vec![self.value()?];
        while self.eat(',') {
            out.push(self.value()?);
        }
        self.expect(close)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: &Formula) -> Vec<String> {
        f.terms.iter().map(|t| format!("{:?}", t.factors)).collect()
    }

    #[test]
    fn parses_the_fixest_subset() {
        let f = Formula::parse("lemp ~ treat_post | countyreal + year").unwrap();
        assert_eq!(f.columns(), vec!["lemp", "treat_post", "countyreal", "year"]);
        let f = Formula::parse("y ~ x + C(g) - 1").unwrap();
        assert!(!f.intercept);
        assert_eq!(f.terms[1].factors, vec![Factor::Categorical("g".into())]);
        let f = Formula::parse("y ~ i(rel, x, ref=c(-1, -5))").unwrap();
        assert_eq!(
            f.terms[0].factors[0],
            Factor::Indicator { var: "rel".into(), by: Some("x".into()), refs: vec!["-1".into(), "-5".into()] }
        );
        let f = Formula::parse("y ~ a*b + a:b:c + 0").unwrap();
        assert_eq!(names(&f).len(), 4);
        assert!(!f.intercept);
        let f = Formula::parse("y ~ `weird name` + x | 0").unwrap();
        assert!(f.fixed_effects.is_empty() && f.intercept);
    }

    #[test]
    fn repeated_factors_are_one_factor_as_in_fixest() {
        // fixest/pyfixest (R's terms()): x1:x1 and x1*x1 are x1; a:b:a is a:b; b:a repeats a:b.
        for text in ["y ~ x1:x1", "y ~ x1*x1", "y ~ x1 + x1:x1", "y ~ x1*x1*x1"] {
            let f = Formula::parse(text).unwrap();
            assert_eq!(f.terms, vec![Term { factors: vec![Factor::Var("x1".into())] }], "{text}");
        }
        let f = Formula::parse("y ~ C(a):C(a)").unwrap();
        assert_eq!(f.terms, vec![Term { factors: vec![Factor::Categorical("a".into())] }]);
        let f = Formula::parse("y ~ a:b:a + b:a").unwrap();
        assert_eq!(f.terms, vec![Term { factors: vec![Factor::Var("a".into()), Factor::Var("b".into())] }]);
        let f = Formula::parse("y ~ a*b + b:a").unwrap();
        assert_eq!(f.terms.len(), 3);
        // Different factors on the same column stay distinct.
        assert_eq!(Formula::parse("y ~ x:C(x)").unwrap().terms[0].factors.len(), 2);
    }

    #[test]
    fn syntax_errors_point_at_the_problem() {
        let e = Formula::parse("y ~ x1 +").unwrap_err();
        let FormulaError::Syntax { position, .. } = &e;
        assert_eq!(*position, 8);
        assert!(e.to_string().contains("expected a variable name"));
        assert!(Formula::parse("y x").unwrap_err().to_string().contains("`~`"));
        assert!(Formula::parse("y ~ log(x)").unwrap_err().to_string().contains("unknown function `log`"));
        assert!(Formula::parse("y ~ x | a ^").is_err());
        assert!(Formula::parse("y ~ x )").unwrap_err().to_string().contains("unexpected"));
    }
}

/// A survival formula: `Surv(time, event) ~ rhs` or `Surv(start, stop, event) ~ rhs`, where the
/// right-hand side is the ordinary grammar above plus `strata(z)` / `strata(z, w)` items
/// (stratification variables, not regressors).
///
/// ```text
/// surv_formula := "Surv(" name "," name [ "," name ] ")" "~" rhs
/// ```
/// The right-hand side is parsed by [`Formula::parse`] with the strata items blanked out, so
/// `C()`, `:`, `*` and every error message are the regression grammar's, with positions in the
/// original text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvFormula {
    /// The text it was parsed from.
    pub text: String,
    /// Entry column of the counting-process form `Surv(start, stop, event)`.
    pub start: Option<String>,
    /// Exit (stop) or duration column.
    pub stop: String,
    /// Event indicator column (1 = event, 0 = censored).
    pub event: String,
    /// The right-hand side as a formula whose outcome is `stop`.
    pub rhs: Formula,
    /// Stratification columns from every `strata()` item, in order.
    pub strata: Vec<String>,
}

impl SurvFormula {
    /// Parse a survival formula.
    ///
    /// # Errors
    /// [`FormulaError::Syntax`] pointing at the first character that does not fit.
    ///
    /// # Examples
    /// ```
    /// use virkning::regression::SurvFormula;
    /// let f = SurvFormula::parse("Surv(start, stop, job) ~ programme + C(origin) + strata(sex)").unwrap();
    /// assert_eq!(f.start.as_deref(), Some("start"));
    /// assert_eq!((f.stop.as_str(), f.event.as_str()), ("stop", "job"));
    /// assert_eq!(f.rhs.terms.len(), 2);
    /// assert_eq!(f.strata, vec!["sex".to_string()]);
    /// ```
    pub fn parse(text: &str) -> Result<SurvFormula, FormulaError> {
        let mut p = Parser { chars: text.chars().collect(), pos: 0, text };
        let head = p.name()?;
        if head != "Surv" {
            p.pos = 0;
            return p.err("a survival formula starts with `Surv(time, event)` or `Surv(start, stop, event)`");
        }
        p.expect('(')?;
        let mut args = vec![p.name()?];
        while p.eat(',') {
            args.push(p.name()?);
        }
        if args.len() < 2 || args.len() > 3 {
            return p.err("`Surv()` takes (time, event) or (start, stop, event)");
        }
        p.expect(')')?;
        p.expect('~')?;
        // Blank the strata items (keeping positions), remembering their columns.
        let mut chars = p.chars.clone();
        let mut strata = Vec::new();
        let mut i = p.pos;
        while i < chars.len() {
            let is_item_start = chars[..i].iter().rev().find(|c| !c.is_whitespace()).is_none_or(|c| "~+".contains(*c));
            let word: String = chars[i..].iter().take(7).collect();
            if is_item_start && word == "strata(" {
                let open = i + 6;
                let Some(close) = chars[open..].iter().position(|&c| c == ')').map(|k| open + k) else {
                    p.pos = open;
                    return p.err("unclosed `strata(`");
                };
                let inner = Parser { chars: chars[..close].to_vec(), pos: open + 1, text };
                let mut q = inner;
                strata.push(q.name()?);
                while q.eat(',') {
                    strata.push(q.name()?);
                }
                if q.peek().is_some() {
                    return q.err("expected `,` or `)` in strata()");
                }
                chars[i] = '1';
                chars[i + 1..=close].iter_mut().for_each(|c| *c = ' ');
                i = close + 1;
            } else {
                i += 1;
            }
        }
        // The outcome slot of the regression grammar takes the `Surv(...)` span's place.
        let tilde = p.pos - 1;
        chars[..tilde].iter_mut().for_each(|c| *c = ' ');
        chars[0] = '_';
        let blanked: String = chars.iter().collect();
        let mut rhs = Formula::parse(&blanked).map_err(|e| match e {
            FormulaError::Syntax { position, message, .. } => {
                FormulaError::Syntax { formula: text.to_string(), position, message }
            }
        })?;
        rhs.text = text.to_string();
        let (start, stop, event) = match args.len() {
            2 => (None, args[0].clone(), args[1].clone()),
            _ => (Some(args[0].clone()), args[1].clone(), args[2].clone()),
        };
        rhs.outcome = stop.clone();
        Ok(SurvFormula { text: text.to_string(), start, stop, event, rhs, strata })
    }

    /// Every column the formula reads, each once: start, stop, event, regressors, strata.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = self.start.iter().cloned().collect();
        for c in std::iter::once(&self.stop)
            .chain([&self.event])
            .cloned()
            .chain(self.rhs.columns())
            .chain(self.strata.clone())
        {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }
}

#[cfg(test)]
mod surv_tests {
    use super::*;

    #[test]
    fn parses_surv_formulas() {
        let f = SurvFormula::parse("Surv(week, arrest) ~ fin*age + C(race) + strata(wexp, mar)").unwrap();
        assert_eq!(f.start, None);
        assert_eq!(f.rhs.terms.len(), 4);
        assert_eq!(f.strata, vec!["wexp".to_string(), "mar".to_string()]);
        let mut cols = f.columns();
        assert_eq!(cols[..2], ["week".to_string(), "arrest".to_string()]);
        cols.sort();
        assert_eq!(cols, vec!["age", "arrest", "fin", "mar", "race", "week", "wexp"]);
        let f = SurvFormula::parse("Surv(a, b, e) ~ strata(z) + x").unwrap();
        assert_eq!(f.rhs.terms.len(), 1);
        let e = SurvFormula::parse("Surv(t, e) ~ x +").unwrap_err();
        let FormulaError::Syntax { position, formula, .. } = &e;
        assert_eq!((*position, formula.as_str()), (16, "Surv(t, e) ~ x +"));
        assert!(SurvFormula::parse("y ~ x").is_err());
        assert!(SurvFormula::parse("Surv(t) ~ x").is_err());
        assert!(SurvFormula::parse("Surv(t, e) ~ strata(z").is_err());
    }
}
