//! The fixest-style formula grammar, parsed once in Rust for Rust, Python and the command line.
//!
//! ```text
//! formula := outcome "~" rhs [ "|" fixed_effects ]
//! rhs     := item { ("+" | "-") item }        item: term | "0" | "1"
//! term    := factor { (":" | "*") factor }    a*b expands to a + b + a:b
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
                    if !terms.contains(&t) {
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
            return Ok(vec![Term { factors: groups.remove(0) }]);
        }
        // a*b*c: every non-empty subset of the starred groups, in order of size.
        let k = groups.len();
        let mut subsets: Vec<u32> = (1u32..(1 << k)).collect();
        subsets.sort_by_key(|m| (m.count_ones(), m.reverse_bits()));
        Ok(subsets
            .into_iter()
            .map(|m| Term { factors: (0..k).filter(|i| m & (1 << i) != 0).flat_map(|i| groups[i].clone()).collect() })
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
