//! Column-wise evaluation: a bound formula is compiled to a short register
//! program, and each instruction runs over a chunk of [`CHUNK`] units at a time.
//!
//! Each instruction is one tight loop over plain slices (no per-value dispatch,
//! no allocation after the scratch registers), and checks its results in the same
//! loop: a non-finite result from present operands becomes missing, and the chunk
//! is flagged. Only a flagged chunk is scanned again (rarely) to record, per unit,
//! which domain errors occurred — and only for the units where the instruction's
//! value is used: inside a branch of `if` (or a later argument of `coalesce`) an
//! instruction runs under a *mask* of the units that take that branch, pushed
//! before the branch and popped after it.

use std::borrow::Cow;

use crate::bind::Expr;
use crate::ops::{self, BinOp, DomainError, MISSING, UnOp, finite};

/// The number of units evaluated at a time (the length of a scratch register).
pub const CHUNK: usize = 512;

/// Where an instruction reads an operand.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Src {
    /// A scratch register (the result of an earlier instruction).
    Reg(u16),
    /// A column of the data.
    Col(usize),
    /// The same value for every unit.
    Const(f64),
}

/// Which units of a branch are used, by the value of its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    /// The condition is true (present and not 0): the first branch of `if`.
    True,
    /// The condition is 0: the second branch of `if`.
    False,
    /// The value so far is missing: the next argument of `coalesce`.
    Missing,
}

/// One instruction; `dst` is never one of the instruction's operands.
#[derive(Debug, Clone, PartialEq)]
enum Instr {
    Unary {
        op: UnOp,
        dst: u16,
        a: Src,
    },
    Binary {
        op: BinOp,
        dst: u16,
        a: Src,
        b: Src,
    },
    Clamp {
        dst: u16,
        x: Src,
        lo: Src,
        hi: Src,
    },
    Select {
        dst: u16,
        c: Src,
        a: Src,
        b: Src,
    },
    /// Narrow the mask of used units to those of the current mask where `test`
    /// holds for `src`.
    Push {
        src: Src,
        test: Test,
    },
    /// Back to the mask before the matching `Push`.
    Pop,
}

impl Instr {
    /// Whether the instruction can give a domain error.
    fn checked(&self) -> bool {
        match self {
            Instr::Unary { op, .. } => op.checked(),
            Instr::Binary { op, .. } => op.checked(),
            Instr::Clamp { .. } => true,
            Instr::Select { .. } | Instr::Push { .. } | Instr::Pop => false,
        }
    }
}

/// A formula bound to columns and constants, ready to evaluate (made by
/// [`crate::Formula::bind`]). Cheap to keep; [`Bound::eval`] may be called any
/// number of times, from any number of threads.
#[derive(Debug, Clone)]
pub struct Bound {
    program: Vec<Instr>,
    result: Src,
    registers: usize,
    masks: usize,
    columns: usize,
}

/// How many units had a domain error of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainCount {
    /// The kind.
    pub kind: DomainError,
    /// The number of units where it occurred.
    pub units: usize,
    /// The index of the first of them.
    pub first: usize,
}

/// The values of a formula for every unit, and the domain errors met.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// One value per unit: finite, or `NaN` (missing).
    pub values: Vec<f64>,
    /// The number of units for which an operation that was used had present
    /// operands but no value (division by zero, logarithm of a non-positive number,
    /// …). Such a unit's value is usually missing — unless `coalesce` replaced it.
    pub domain_errors: usize,
    /// The index of the first such unit.
    pub first_domain_error: Option<usize>,
    /// Per kind of domain error that occurred, in the order of [`DomainError::ALL`]:
    /// how many units, and the first. A unit with two kinds counts in both.
    pub by_kind: Vec<DomainCount>,
}

impl Evaluation {
    /// The kinds of domain error that occurred, for a message:
    /// `"a division by zero or a logarithm of a number that is not positive"`
    /// (empty when there were none).
    pub fn causes(&self) -> String {
        let kinds: Vec<&str> = self.by_kind.iter().map(|k| k.kind.describe()).collect();
        match kinds.split_last() {
            None => String::new(),
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }
}

/// An operand for one chunk.
#[derive(Clone, Copy)]
enum Arg<'a> {
    Slice(&'a [f64]),
    Scalar(f64),
}

impl Arg<'_> {
    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        match self {
            Arg::Slice(s) => s[i],
            Arg::Scalar(v) => v,
        }
    }
}

struct Compiler {
    program: Vec<Instr>,
    free: Vec<u16>,
    registers: u16,
    depth: usize,
    masks: usize,
    columns: usize,
}

impl Compiler {
    fn alloc(&mut self) -> u16 {
        self.free.pop().unwrap_or_else(|| {
            self.registers += 1;
            self.registers - 1
        })
    }

    fn release(&mut self, s: Src) {
        if let Src::Reg(r) = s {
            self.free.push(r);
        }
    }

    fn expr(&mut self, e: &Expr) -> Src {
        match e {
            Expr::Const(v) => Src::Const(*v),
            Expr::Col(c) => {
                self.columns = self.columns.max(c + 1);
                Src::Col(*c)
            }
            Expr::Unary(op, x) => {
                let a = self.expr(x);
                let dst = self.alloc();
                self.release(a);
                self.program.push(Instr::Unary { op: *op, dst, a });
                Src::Reg(dst)
            }
            Expr::Binary(op, x, y) => {
                let a = self.expr(x);
                let b = self.expr(y);
                self.binary(*op, a, b)
            }
            Expr::Clamp(x, lo, hi) => {
                let x = self.expr(x);
                let lo = self.expr(lo);
                let hi = self.expr(hi);
                let dst = self.alloc();
                for s in [x, lo, hi] {
                    self.release(s);
                }
                self.program.push(Instr::Clamp { dst, x, lo, hi });
                Src::Reg(dst)
            }
            Expr::If(c, a, b) => {
                let c = self.expr(c);
                let a = self.branch(
                    a,
                    Instr::Push {
                        src: c,
                        test: Test::True,
                    },
                );
                let b = self.branch(
                    b,
                    Instr::Push {
                        src: c,
                        test: Test::False,
                    },
                );
                let dst = self.alloc();
                for s in [c, a, b] {
                    self.release(s);
                }
                self.program.push(Instr::Select { dst, c, a, b });
                Src::Reg(dst)
            }
            Expr::Coalesce(args) => {
                let mut args = args.iter();
                let mut acc = match args.next() {
                    Some(first) => self.expr(first),
                    None => Src::Const(MISSING),
                };
                for x in args {
                    let b = self.branch(
                        x,
                        Instr::Push {
                            src: acc,
                            test: Test::Missing,
                        },
                    );
                    acc = self.binary(BinOp::Coalesce, acc, b);
                }
                acc
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: Src, b: Src) -> Src {
        let dst = self.alloc();
        self.release(a);
        self.release(b);
        self.program.push(Instr::Binary { op, dst, a, b });
        Src::Reg(dst)
    }

    /// `e`, whose domain errors count only for the units selected by `push`. The
    /// mask is left out when the branch has no instruction that can fail.
    fn branch(&mut self, e: &Expr, push: Instr) -> Src {
        let mark = self.program.len();
        self.program.push(push);
        self.depth += 1;
        self.masks = self.masks.max(self.depth);
        let s = self.expr(e);
        self.depth -= 1;
        if self.program[mark + 1..].iter().any(Instr::checked) {
            self.program.push(Instr::Pop);
        } else {
            let tail = self.program.split_off(mark);
            self.program.extend(
                tail.into_iter()
                    .filter(|i| !matches!(i, Instr::Push { .. } | Instr::Pop)),
            );
        }
        s
    }
}

impl Bound {
    pub(crate) fn compile(e: &Expr) -> Bound {
        let mut c = Compiler {
            program: Vec::new(),
            free: Vec::new(),
            registers: 0,
            depth: 0,
            masks: 0,
            columns: 0,
        };
        let result = c.expr(e);
        Bound {
            program: c.program,
            result,
            registers: usize::from(c.registers),
            masks: c.masks,
            columns: c.columns,
        }
    }

    /// One more than the largest column index the formula reads (0 if it reads
    /// none): `eval` needs at least this many columns.
    pub fn columns_needed(&self) -> usize {
        self.columns
    }

    /// The formula's value when it is the same for every unit (it reads no column,
    /// e.g. `2 * pi`); `None` otherwise.
    pub fn constant(&self) -> Option<f64> {
        match self.result {
            Src::Const(v) => Some(v),
            _ => None,
        }
    }

    /// Evaluates the formula for units `0..n_units`; column `i` of the binding is
    /// `columns[i]`, whose entry `u` is the value of unit `u` (`NaN`: missing).
    ///
    /// A column that `columns` lacks, or that is shorter than `n_units`, reads as
    /// missing where it has no entry (that is a mistake of the caller; see
    /// [`Bound::columns_needed`]). Entries past `n_units` are ignored.
    ///
    /// The result's values are finite or `NaN`. Domain errors (see the crate docs)
    /// are counted per unit, only where the operation's value is used.
    pub fn eval(&self, columns: &[&[f64]], n_units: usize) -> Evaluation {
        let cols: Vec<Cow<'_, [f64]>> = (0..self.columns)
            .map(|c| match columns.get(c) {
                Some(col) if col.len() >= n_units => Cow::Borrowed(&col[..n_units]),
                Some(col) => {
                    let mut v = col.to_vec();
                    v.resize(n_units, MISSING);
                    Cow::Owned(v)
                }
                None => Cow::Owned(vec![MISSING; n_units]),
            })
            .collect();
        let cols: Vec<&[f64]> = cols.iter().map(|c| c.as_ref()).collect();
        let mut s = Scratch {
            regs: vec![vec![0.0; CHUNK]; self.registers],
            tmp: [vec![0.0; CHUNK], vec![0.0; CHUNK], vec![0.0; CHUNK]],
            masks: vec![vec![false; CHUNK]; self.masks],
            errs: vec![0; CHUNK],
        };
        let mut values = Vec::with_capacity(n_units);
        let mut tally = Tally::default();
        let mut start = 0;
        while start < n_units {
            let m = CHUNK.min(n_units - start);
            let mut flagged = self.run(&cols, start, m, &mut s);
            let errs = &mut s.errs[..m];
            match arg(self.result, &s.regs, &cols, start, m) {
                Arg::Slice(r) => {
                    values.extend(r.iter().map(|&v| if finite(v) { v } else { MISSING }));
                    if r.iter().any(|v| v.is_infinite()) {
                        for (e, v) in errs.iter_mut().zip(r) {
                            if v.is_infinite() {
                                *e |= DomainError::Overflow.bit();
                            }
                        }
                        flagged = true;
                    }
                }
                Arg::Scalar(v) => {
                    values.extend(std::iter::repeat_n(if finite(v) { v } else { MISSING }, m));
                    if v.is_infinite() {
                        errs.fill(DomainError::Overflow.bit());
                        flagged = true;
                    }
                }
            }
            if flagged {
                tally.add(start, errs);
                errs.fill(0);
            }
            start += m;
        }
        tally.finish(values)
    }

    /// Runs the program over units `start..start + m`; whether a domain error was
    /// recorded in `s.errs`.
    fn run(&self, cols: &[&[f64]], start: usize, m: usize, s: &mut Scratch) -> bool {
        let mut level = 0usize;
        let mut flagged = false;
        for ins in &self.program {
            match *ins {
                Instr::Unary { op, dst, a } => {
                    let mut out = std::mem::take(&mut s.regs[usize::from(dst)]);
                    let a = arg(a, &s.regs, cols, start, m);
                    if unary(op, &mut out[..m], a) {
                        flagged |= record(active(&s.masks, level, m), &mut s.errs[..m], |i| {
                            let x = a.at(i);
                            let r = op.apply(x);
                            (!finite(r) && !x.is_nan()).then(|| op.classify(x))
                        });
                    }
                    s.regs[usize::from(dst)] = out;
                }
                Instr::Binary { op, dst, a, b } => {
                    let mut out = std::mem::take(&mut s.regs[usize::from(dst)]);
                    let a = arg(a, &s.regs, cols, start, m);
                    let b = arg(b, &s.regs, cols, start, m);
                    if binary(op, &mut out[..m], a, b) {
                        flagged |= record(active(&s.masks, level, m), &mut s.errs[..m], |i| {
                            let (x, y) = (a.at(i), b.at(i));
                            let r = op.apply(x, y);
                            (!finite(r) && !x.is_nan() && !y.is_nan()).then(|| op.classify(x, y, r))
                        });
                    }
                    s.regs[usize::from(dst)] = out;
                }
                Instr::Clamp { dst, x, lo, hi } => {
                    let mut out = std::mem::take(&mut s.regs[usize::from(dst)]);
                    let x = arg(x, &s.regs, cols, start, m);
                    let lo = arg(lo, &s.regs, cols, start, m);
                    let hi = arg(hi, &s.regs, cols, start, m);
                    if clamp(&mut out[..m], x, lo, hi, &mut s.tmp) {
                        flagged |= record(active(&s.masks, level, m), &mut s.errs[..m], |i| {
                            let (v, l, h) = (x.at(i), lo.at(i), hi.at(i));
                            let r = ops::clamp(v, l, h);
                            (!finite(r) && !v.is_nan() && !l.is_nan() && !h.is_nan()).then(|| ops::classify_clamp(l, h))
                        });
                    }
                    s.regs[usize::from(dst)] = out;
                }
                Instr::Select { dst, c, a, b } => {
                    let mut out = std::mem::take(&mut s.regs[usize::from(dst)]);
                    let c = arg(c, &s.regs, cols, start, m);
                    let a = arg(a, &s.regs, cols, start, m);
                    let b = arg(b, &s.regs, cols, start, m);
                    let [tc, ta, tb] = &mut s.tmp;
                    let (c, a, b) = (slice(c, tc, m), slice(a, ta, m), slice(b, tb, m));
                    for (((o, &c), &a), &b) in out[..m].iter_mut().zip(c).zip(a).zip(b) {
                        *o = ops::select(c, a, b);
                    }
                    s.regs[usize::from(dst)] = out;
                }
                Instr::Push { src, test } => {
                    let (parents, rest) = s.masks.split_at_mut(level);
                    let Some(mask) = rest.first_mut() else { continue };
                    let mask = &mut mask[..m];
                    let src = slice(arg(src, &s.regs, cols, start, m), &mut s.tmp[0], m);
                    let parent = parents.last().map(|p| &p[..m]);
                    fill_mask(mask, parent, src, test);
                    level += 1;
                }
                Instr::Pop => level = level.saturating_sub(1),
            }
        }
        flagged
    }
}

/// The scratch space of one evaluation.
struct Scratch {
    /// The registers, each [`CHUNK`] long.
    regs: Vec<Vec<f64>>,
    /// Buffers to spread constant operands of three-operand instructions.
    tmp: [Vec<f64>; 3],
    /// The masks of used units, one per nesting level of branches.
    masks: Vec<Vec<bool>>,
    /// Per unit of the chunk, the bits of the domain errors met.
    errs: Vec<u8>,
}

/// The operand `src` over units `start..start + m`.
#[inline(always)]
fn arg<'a>(src: Src, regs: &'a [Vec<f64>], cols: &[&'a [f64]], start: usize, m: usize) -> Arg<'a> {
    match src {
        Src::Reg(r) => Arg::Slice(&regs[usize::from(r)][..m]),
        Src::Col(c) => Arg::Slice(&cols[c][start..start + m]),
        Src::Const(v) => Arg::Scalar(v),
    }
}

/// `a` as a slice of `m` values, spreading a scalar into `tmp`.
#[inline(always)]
fn slice<'a>(a: Arg<'a>, tmp: &'a mut [f64], m: usize) -> &'a [f64] {
    match a {
        Arg::Slice(s) => s,
        Arg::Scalar(v) => {
            let t = &mut tmp[..m];
            t.fill(v);
            t
        }
    }
}

/// The current mask of used units (`None`: all are used).
#[inline(always)]
fn active(masks: &[Vec<bool>], level: usize, m: usize) -> Option<&[bool]> {
    level.checked_sub(1).and_then(|l| masks.get(l)).map(|mask| &mask[..m])
}

/// Records in `errs` the domain error `check(i)` of each used unit `i`; whether
/// there was one.
#[cold]
#[inline(never)]
fn record(active: Option<&[bool]>, errs: &mut [u8], check: impl Fn(usize) -> Option<DomainError>) -> bool {
    let mut any = false;
    for (i, e) in errs.iter_mut().enumerate() {
        if active.is_some_and(|mask| !mask[i]) {
            continue;
        }
        if let Some(kind) = check(i) {
            *e |= kind.bit();
            any = true;
        }
    }
    any
}

fn fill_mask(mask: &mut [bool], parent: Option<&[bool]>, src: &[f64], test: Test) {
    let t = |x: f64| match test {
        Test::True => !x.is_nan() && x != 0.0,
        Test::False => x == 0.0,
        Test::Missing => x.is_nan(),
    };
    match parent {
        None => {
            for (m, &x) in mask.iter_mut().zip(src) {
                *m = t(x);
            }
        }
        Some(p) => {
            for ((m, &x), &p) in mask.iter_mut().zip(src).zip(p) {
                *m = p && t(x);
            }
        }
    }
}

/// Stores `r` (the result from operands that are all present iff `present`) and
/// says whether it is a domain error. Non-finite results become the canonical
/// missing value.
#[inline(always)]
fn put<const CHECK: bool>(o: &mut f64, r: f64, present: bool) -> bool {
    if CHECK {
        let fin = finite(r);
        *o = if fin { r } else { MISSING };
        !fin & present
    } else {
        *o = r;
        false
    }
}

#[inline(always)]
fn map1<const CHECK: bool>(out: &mut [f64], a: Arg<'_>, f: impl Fn(f64) -> f64) -> bool {
    let mut bad = false;
    match a {
        Arg::Slice(a) => {
            for (o, &x) in out.iter_mut().zip(a) {
                bad |= put::<CHECK>(o, f(x), !x.is_nan());
            }
        }
        Arg::Scalar(x) => {
            let mut r = 0.0;
            bad = put::<CHECK>(&mut r, f(x), !x.is_nan());
            out.fill(r);
        }
    }
    bad
}

#[inline(always)]
fn map2<const CHECK: bool>(out: &mut [f64], a: Arg<'_>, b: Arg<'_>, f: impl Fn(f64, f64) -> f64) -> bool {
    let mut bad = false;
    match (a, b) {
        (Arg::Slice(a), Arg::Slice(b)) => {
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                bad |= put::<CHECK>(o, f(x, y), !x.is_nan() & !y.is_nan());
            }
        }
        (Arg::Slice(a), Arg::Scalar(y)) => {
            let y_present = !y.is_nan();
            for (o, &x) in out.iter_mut().zip(a) {
                bad |= put::<CHECK>(o, f(x, y), !x.is_nan() & y_present);
            }
        }
        (Arg::Scalar(x), Arg::Slice(b)) => {
            let x_present = !x.is_nan();
            for (o, &y) in out.iter_mut().zip(b) {
                bad |= put::<CHECK>(o, f(x, y), x_present & !y.is_nan());
            }
        }
        (Arg::Scalar(x), Arg::Scalar(y)) => {
            let mut r = 0.0;
            bad = put::<CHECK>(&mut r, f(x, y), !x.is_nan() & !y.is_nan());
            out.fill(r);
        }
    }
    bad
}

/// `op` over the chunk; whether some unit had a domain error.
fn unary(op: UnOp, out: &mut [f64], a: Arg<'_>) -> bool {
    match op {
        UnOp::Neg => map1::<true>(out, a, ops::neg),
        UnOp::Not => map1::<false>(out, a, ops::not),
        UnOp::Abs => map1::<true>(out, a, ops::abs),
        UnOp::Ln => map1::<true>(out, a, ops::ln),
        UnOp::Log1p => map1::<true>(out, a, ops::log1p),
        UnOp::Log10 => map1::<true>(out, a, ops::log10),
        UnOp::Exp => map1::<true>(out, a, ops::exp),
        UnOp::Sqrt => map1::<true>(out, a, ops::sqrt),
        UnOp::IsMissing => map1::<false>(out, a, ops::is_missing),
    }
}

/// `op` over the chunk; whether some unit had a domain error.
fn binary(op: BinOp, out: &mut [f64], a: Arg<'_>, b: Arg<'_>) -> bool {
    match op {
        BinOp::Add => map2::<true>(out, a, b, ops::add),
        BinOp::Sub => map2::<true>(out, a, b, ops::sub),
        BinOp::Mul => map2::<true>(out, a, b, ops::mul),
        BinOp::Div => map2::<true>(out, a, b, ops::div),
        BinOp::Pow => map2::<true>(out, a, b, ops::pow),
        BinOp::Eq => map2::<false>(out, a, b, ops::eq),
        BinOp::Ne => map2::<false>(out, a, b, ops::ne),
        BinOp::Lt => map2::<false>(out, a, b, ops::lt),
        BinOp::Le => map2::<false>(out, a, b, ops::le),
        BinOp::Gt => map2::<false>(out, a, b, ops::gt),
        BinOp::Ge => map2::<false>(out, a, b, ops::ge),
        BinOp::And => map2::<false>(out, a, b, ops::and),
        BinOp::Or => map2::<false>(out, a, b, ops::or),
        BinOp::Min => map2::<true>(out, a, b, ops::min),
        BinOp::Max => map2::<true>(out, a, b, ops::max),
        BinOp::Coalesce => map2::<false>(out, a, b, ops::coalesce),
    }
}

/// `clamp` over the chunk; whether some unit had a domain error.
fn clamp(out: &mut [f64], x: Arg<'_>, lo: Arg<'_>, hi: Arg<'_>, tmp: &mut [Vec<f64>; 3]) -> bool {
    let m = out.len();
    let mut bad = false;
    match (x, lo, hi) {
        // The common case, `clamp(expression, constant, constant)`.
        (Arg::Slice(x), Arg::Scalar(l), Arg::Scalar(h)) => {
            let bounds_present = !l.is_nan() & !h.is_nan();
            for (o, &v) in out.iter_mut().zip(x) {
                bad |= put::<true>(o, ops::clamp(v, l, h), !v.is_nan() & bounds_present);
            }
        }
        _ => {
            let [tx, tl, th] = tmp;
            let (x, lo, hi) = (slice(x, tx, m), slice(lo, tl, m), slice(hi, th, m));
            for (((o, &v), &l), &h) in out.iter_mut().zip(x).zip(lo).zip(hi) {
                bad |= put::<true>(o, ops::clamp(v, l, h), !v.is_nan() & !l.is_nan() & !h.is_nan());
            }
        }
    }
    bad
}

/// Domain errors counted over the chunks.
#[derive(Default)]
struct Tally {
    units: usize,
    first: Option<usize>,
    kinds: [(usize, Option<usize>); DomainError::ALL.len()],
}

impl Tally {
    /// Adds the errors `errs` of the units from `start` on.
    fn add(&mut self, start: usize, errs: &[u8]) {
        for (i, &e) in errs.iter().enumerate() {
            if e == 0 {
                continue;
            }
            let unit = start + i;
            self.units += 1;
            self.first.get_or_insert(unit);
            for (k, kind) in DomainError::ALL.iter().enumerate() {
                if e & kind.bit() != 0 {
                    self.kinds[k].0 += 1;
                    self.kinds[k].1.get_or_insert(unit);
                }
            }
        }
    }

    fn finish(self, values: Vec<f64>) -> Evaluation {
        let by_kind = DomainError::ALL
            .iter()
            .zip(self.kinds)
            .filter_map(|(&kind, (units, first))| first.map(|first| DomainCount { kind, units, first }))
            .collect();
        Evaluation {
            values,
            domain_errors: self.units,
            first_domain_error: self.first,
            by_kind,
        }
    }
}
