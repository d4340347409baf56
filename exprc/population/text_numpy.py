"""Many texts to flat programs at once, in numpy: the bulk path where the compiled one is absent.

The language is the one grammar/exprc.lark defines, and lark stays its reference: this path
accepts the arithmetic core of the grammar (numbers, names, $parameters, + - * / ** ^, unary
signs, calls with the right number of arguments, parentheses) and hands every other text
(comparisons, where, variadic min/max beyond two arguments, constant subexpressions other than
a negated number, anything malformed) to exprc.parse, so a bad text still gets its located
ParseError and the result is always the program exprc.parse + folding gives.

How, without a Python object per token: the joined texts are classified byte by byte, a small
DFA run over all word runs in lockstep tells numbers from names, and the tree comes from
operator precedence as nearest-smaller-value queries (scan.py): an operator's right operand
ends just before the next token that binds no tighter, so sorting tokens by (where their
operand ends, innermost first) yields postfix order directly.
"""
from __future__ import annotations

import numpy as np

from . import encoding as enc
from .flat import FlatPrograms
from .names import meaning
from .scan import MinTable

MAX_WORD = 48           # longer numbers and names take the exact path

# byte classes
SP, DIG, ALPHA, DOT, OPC, LP, RP, COMMA, DOLLAR, SEP, BAD = range(11)
_CLASS = np.full(256, BAD, dtype=np.int8)
for _c in b" \t\r\n\f":
    _CLASS[_c] = SP
for _c in b"0123456789":
    _CLASS[_c] = DIG
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_":
    _CLASS[_c] = ALPHA
_CLASS[ord(".")] = DOT
for _c in b"+-*/^":
    _CLASS[_c] = OPC
_CLASS[ord("(")], _CLASS[ord(")")], _CLASS[ord(",")], _CLASS[ord("$")], _CLASS[ord(";")] = LP, RP, COMMA, DOLLAR, SEP
# '<', '>', '=', '!' (comparisons) stay BAD: such texts take the exact path
_IS_WORD = np.isin(_CLASS, (DIG, ALPHA, DOT))
_IS_SIGN = np.zeros(256, dtype=bool)
_IS_SIGN[[ord("+"), ord("-")]] = True
_IS_E = np.zeros(256, dtype=bool)
_IS_E[[ord("e"), ord("E")]] = True

# the word DFA: which runs of [A-Za-z0-9_.] (and an exponent's sign) are a NUMBER or a NAME
_D, _L, _E, _DOT, _S = range(5)
_WCLASS = np.full(256, _L, dtype=np.int8)
for _c in b"0123456789":
    _WCLASS[_c] = _D
_WCLASS[ord("e")] = _WCLASS[ord("E")] = _E
_WCLASS[ord(".")] = _DOT
_WCLASS[ord("+")] = _WCLASS[ord("-")] = _S
_DEAD = 11
_T = np.full((12, 5), _DEAD, dtype=np.int8)
for _state, _moves in {0: {_D: 1, _DOT: 4, _L: 9, _E: 9}, 1: {_D: 1, _DOT: 2, _E: 6}, 2: {_D: 3, _E: 6},
                       3: {_D: 3, _E: 6}, 4: {_D: 5}, 5: {_D: 5, _E: 6}, 6: {_S: 7, _D: 8}, 7: {_D: 8},
                       8: {_D: 8}, 9: {_L: 9, _E: 9, _D: 9, _DOT: 10}, 10: {_L: 9, _E: 9}}.items():
    for _k, _v in _moves.items():
        _T[_state, _k] = _v
_NUMBER_STATES = np.zeros(12, dtype=bool)
_NUMBER_STATES[[1, 2, 3, 5, 8]] = True
_NAME_STATES = np.zeros(12, dtype=bool)
_NAME_STATES[9] = True

# token kinds
(T_NUM, T_NAME, T_FUNC, T_PNAME, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_POW, T_UPLUS, T_UMINUS,
 T_LP, T_RP, T_COMMA, T_DOLLAR, T_SEP) = range(16)
_BYTE_KIND = np.full(256, -1, dtype=np.int8)       # single-byte tokens
for _c, _k in {"+": T_PLUS, "-": T_MINUS, "*": T_STAR, "/": T_SLASH, "^": T_POW, "(": T_LP, ")": T_RP,
               ",": T_COMMA, "$": T_DOLLAR, ";": T_SEP}.items():
    _BYTE_KIND[ord(_c)] = _k
_BINARY_OPCODE = {T_PLUS: enc.OPCODE_OF["add"], T_MINUS: enc.OPCODE_OF["sub"], T_STAR: enc.OPCODE_OF["mul"],
                  T_SLASH: enc.OPCODE_OF["div"], T_POW: enc.OPCODE_OF["pow"], T_UMINUS: enc.OPCODE_OF["neg"]}
_OPERAND_END = np.zeros(16, dtype=bool)
_OPERAND_END[[T_NUM, T_NAME, T_PNAME, T_RP]] = True
_OPERAND_START = np.zeros(16, dtype=bool)
_OPERAND_START[[T_NUM, T_NAME, T_FUNC, T_DOLLAR, T_LP, T_UPLUS, T_UMINUS]] = True
_AFTER_END = np.zeros(16, dtype=bool)          # what may follow the end of an operand
_AFTER_END[[T_PLUS, T_MINUS, T_STAR, T_SLASH, T_POW, T_RP, T_COMMA, T_SEP]] = True
_BIG = 1 << 40
_PREC = {T_PLUS: 2, T_MINUS: 2, T_STAR: 3, T_SLASH: 3, T_POW: 5}
# how far right an operator's operand reaches: up to the next token of level <= threshold
_REACH = {T_PLUS: 2, T_MINUS: 2, T_STAR: 3, T_SLASH: 3, T_POW: 4, T_UMINUS: 4}


def numpy_path(texts: list[str], dtype: str, params: frozenset, variables: frozenset = frozenset()):
    """Flat programs of the texts this path accepts, their node counts, and the accepted mask."""
    ntext = len(texts)
    plain = np.fromiter((t.isascii() and ";" not in t for t in texts), dtype=bool, count=ntext)
    if not plain.all():     # the separator or non-ASCII text: the exact path's business
        texts = [t if p else "(" for t, p in zip(texts, plain)]
    joined = (";" + ";".join(texts) + ";").encode("ascii")
    b = np.frombuffer(joined, dtype=np.uint8)
    nb = len(b)
    cls = _CLASS[b]
    sep_at = np.flatnonzero(cls == SEP)                 # text i lies between sep_at[i] and sep_at[i + 1]
    bad = np.zeros(ntext + 1, dtype=bool)

    def text_of(byte_positions):
        return np.searchsorted(sep_at, byte_positions, side="right") - 1
    bad[text_of(np.flatnonzero(cls == BAD))] = True

    # words: runs of [A-Za-z0-9_.], plus the sign of an exponent such as 1e-5
    word = _IS_WORD[b]
    starts = word.copy()
    starts[1:] &= ~word[:-1]
    sign = np.flatnonzero(_IS_SIGN[b[1:-1]]) + 1 if nb > 2 else np.zeros(0, dtype=np.int64)
    sign = sign[_IS_E[b[sign - 1]] & word[sign - 1] & (cls[sign + 1] == DIG)]
    if len(sign):
        run0 = np.flatnonzero(starts)
        first = run0[np.searchsorted(run0, sign - 1, side="right") - 1]
        sign = sign[(cls[first] == DIG) | (cls[first] == DOT)]
        word[sign] = True
        starts[sign] = False
        starts[sign + 1] = False
    ends = word.copy()
    ends[:-1] &= ~word[1:]
    w_start = np.flatnonzero(starts)
    w_len = np.flatnonzero(ends) + 1 - w_start
    bad[text_of(w_start[w_len > MAX_WORD])] = True
    # the DFA, all words in lockstep (short words drop out as the column passes their end)
    state = np.zeros(len(w_start), dtype=np.int8)
    alive = np.arange(len(w_start))
    for j in range(int(min(w_len.max(initial=0), MAX_WORD))):
        alive = alive[w_len[alive] > j]
        state[alive] = _T[state[alive], _WCLASS[b[w_start[alive] + j]]]
    is_num = _NUMBER_STATES[state]
    is_name = _NAME_STATES[state]
    bad[text_of(w_start[~(is_num | is_name)])] = True

    # the other tokens: one byte each, except '**' (and '***' is ambiguous)
    kind_of_byte = _BYTE_KIND[b]
    kind_of_byte[sign] = -1
    stars = np.flatnonzero(b[:-1] == ord("*"))
    pairs = stars[b[stars + 1] == ord("*")]
    if len(pairs):
        second = np.zeros(nb, dtype=bool)
        second[pairs + 1] = True
        bad[text_of(pairs[second[pairs]])] = True         # overlapping pairs: '***'
        kind_of_byte[pairs] = T_POW
        kind_of_byte[pairs + 1] = -1
    kind_of_byte[w_start] = np.where(is_num, T_NUM, T_NAME)
    tok_pos = np.flatnonzero(kind_of_byte >= 0)
    kind = kind_of_byte[tok_pos].astype(np.int32)
    word_index = np.zeros(nb, dtype=np.int32)
    word_index[w_start] = np.arange(len(w_start), dtype=np.int32)
    tok_word = word_index[tok_pos]
    is_sep = kind == T_SEP
    tok_text = (np.cumsum(is_sep, dtype=np.int32) - 1)
    ntok = len(kind)

    prev_kind = np.concatenate([[T_SEP], kind[:-1]])
    next_kind = np.concatenate([kind[1:], [T_SEP]])
    # unary signs: where no operand ends just before
    signs = (kind == T_PLUS) | (kind == T_MINUS)
    unary = signs & ~_OPERAND_END[prev_kind]
    kind = np.where(unary & (kind == T_PLUS), T_UPLUS, np.where(unary & (kind == T_MINUS), T_UMINUS, kind))
    is_nm = kind == T_NAME
    kind = np.where(is_nm & (prev_kind == T_DOLLAR), T_PNAME, np.where(is_nm & (next_kind == T_LP), T_FUNC, kind))
    prev_kind = np.concatenate([[T_SEP], kind[:-1]])
    next_kind = np.concatenate([kind[1:], [T_SEP]])

    # the grammar's adjacency rules (a call's '(' may be followed by ')', a ',' by ')')
    ok_next = np.where(_OPERAND_END[kind], _AFTER_END[next_kind],
              np.where(kind == T_FUNC, next_kind == T_LP,
              np.where(kind == T_DOLLAR, next_kind == T_PNAME,
              np.where((kind == T_LP) & (prev_kind == T_FUNC), _OPERAND_START[next_kind] | (next_kind == T_RP),
              np.where(kind == T_COMMA, _OPERAND_START[next_kind] | (next_kind == T_RP),
                       _OPERAND_START[next_kind])))))
    ok_next[-1] = True
    bad[tok_text[~ok_next]] = True
    # parentheses balance within each text
    step = np.where(kind == T_LP, 1, np.where(kind == T_RP, -1, 0))
    depth_after = np.cumsum(step)
    sep_idx = np.flatnonzero(is_sep)
    base = depth_after[sep_idx]                       # depth at each text's start
    text_base = base[np.minimum(tok_text, len(base) - 1)]
    rel = depth_after - text_base
    low = np.minimum.reduceat(rel, sep_idx)[:ntext] if ntok else np.zeros(0)
    end_depth = np.diff(base)
    bad[:ntext] |= (low[:ntext] < 0) | (end_depth[:ntext] != 0)

    # names: each distinct spelling resolved once, through the parser's own rules
    names_info = _resolve_names(b, w_start, w_len, tok_word, kind, dtype, params, variables)
    leaf_kind, leaf_arg, leaf_value, func_opcode, func_arity, name_table, name_bad = names_info
    bad_tok = name_bad
    bad[tok_text[bad_tok]] = True
    # numbers
    num_tok = np.flatnonzero((kind == T_NUM) & ~bad[tok_text])
    num_value = np.zeros(ntok)
    if len(num_tok):
        values, failed = _number_values(b, w_start[tok_word[num_tok]], w_len[tok_word[num_tok]], dtype)
        num_value[num_tok] = values
        bad[tok_text[num_tok[failed]]] = True

    # structure. Levels: an operator binds at depth * 8 + precedence, a ',' at depth * 8 + 1,
    # '(' and ')' at (depth inside) * 8, the separator below all; operands and prefix signs
    # never end anything. An operator's right operand ends before the next token of level
    # <= its reach; a binary operator's left operand starts after the last earlier token that
    # binds looser; '(' and ',' find their ')' the same way.
    depth = depth_after - step - text_base            # a '(' counts outside, a ')' inside
    level = np.full(ntok, _BIG, dtype=np.int64)
    for k, p in _PREC.items():
        m = kind == k
        level[m] = depth[m] * 8 + p
    is_lp, is_rp, is_comma = kind == T_LP, kind == T_RP, kind == T_COMMA
    level[is_lp] = (depth[is_lp] + 1) * 8
    level[is_rp] = depth[is_rp] * 8
    level[is_comma] = depth[is_comma] * 8 + 1
    level[is_sep] = -_BIG
    span = int(np.diff(sep_idx).max(initial=1)) + 2
    table = MinTable(level, span)
    emit_op = np.isin(kind, list(_REACH))
    threshold = np.zeros(ntok, dtype=np.int64)
    for k, r in _REACH.items():
        m = kind == k
        threshold[m] = depth[m] * 8 + r
    threshold[is_lp] = (depth[is_lp] + 1) * 8
    threshold[is_comma] = depth[is_comma] * 8
    query = np.flatnonzero((emit_op | is_lp | is_comma) & ~bad[tok_text])
    term = np.full(ntok, ntok, dtype=np.int64)
    term[query] = table.next_at_most(query, threshold[query])

    # calls: argument counts against the op's arity; commas only inside calls
    lp_of_rp = np.full(ntok + 1, -1, dtype=np.int64)
    lp_idx = np.flatnonzero(is_lp)
    lp_of_rp[term[lp_idx]] = lp_idx
    lp_of_rp[ntok] = -1
    comma_idx = np.flatnonzero(is_comma)
    comma_rp = term[comma_idx]
    comma_lp = lp_of_rp[comma_rp]
    comma_in_call = (comma_lp > 0) & (kind[np.maximum(comma_lp - 1, 0)] == T_FUNC)
    bad[tok_text[comma_idx[~comma_in_call]]] = True
    is_func = kind == T_FUNC
    func_idx = np.flatnonzero(is_func & ~bad[tok_text])
    func_rp = term[func_idx + 1]
    ncomma = np.bincount(comma_rp[comma_in_call], minlength=ntok + 1)
    trailing = (kind[func_rp - 1] == T_COMMA).astype(np.int64)
    nargs = np.where(func_rp == func_idx + 2, 0, ncomma[func_rp] + 1 - trailing)
    arity_ok = (nargs == func_arity[func_idx]) & (func_arity[func_idx] > 0)
    bad[tok_text[func_idx[~arity_ok]]] = True

    # where each emitted token's subtree starts and ends (token positions)
    pos = np.arange(ntok)
    is_leaf = (kind == T_NUM) | (kind == T_NAME) | (kind == T_PNAME)
    live = ~bad[tok_text]
    emitted = (is_leaf | emit_op | is_func) & live
    end = pos.copy()
    end[emit_op] = term[emit_op] - 1
    end[func_idx] = func_rp
    first = pos.copy()
    binary = np.flatnonzero(emit_op & (kind != T_UMINUS) & (kind != T_POW) & live)
    first[binary] = table.prev_at_most(binary, level[binary] - 1) + 1
    pw = np.flatnonzero((kind == T_POW) & live)         # a power's left operand is one atom
    atom = pw - 1
    closes = kind[atom] == T_RP
    lp = lp_of_rp[atom]
    atom_first = np.where(closes, np.where(kind[np.maximum(lp - 1, 0)] == T_FUNC, lp - 1, lp), atom)
    first[pw] = atom_first

    # constant-only subtrees: a negated number folds here, anything else takes the exact path
    var_leaf = np.concatenate([[0], np.cumsum(((kind == T_NAME) | (kind == T_PNAME)) & (leaf_kind != enc.LEAF_CONST))])
    n_emit = np.concatenate([[0], np.cumsum(emitted)])
    ops_at = np.flatnonzero(emitted & ~is_leaf)
    const_only = var_leaf[end[ops_at] + 1] == var_leaf[first[ops_at]]
    folded_neg = np.zeros(ntok, dtype=bool)
    if const_only.any():
        c_ops = ops_at[const_only]
        sizes_c = n_emit[end[c_ops] + 1] - n_emit[first[c_ops]]
        operand = end[c_ops]          # a negated atom ends at that atom
        value_of = np.where(kind == T_NUM, num_value, leaf_value)
        simple = ((kind[c_ops] == T_UMINUS) & (sizes_c == 2)
                  & np.isfinite(value_of[operand]) & (value_of[operand] != 0))
        # only maximal constant subtrees matter: one inside another is folded with it
        o = np.lexsort((-end[c_ops], first[c_ops]))
        ends_sorted = end[c_ops][o]
        running = np.maximum.accumulate(np.concatenate([[-1], ends_sorted[:-1]]))
        maximal = np.zeros(len(c_ops), dtype=bool)
        maximal[o[ends_sorted > running]] = True
        bad[tok_text[c_ops[maximal & ~simple]]] = True
        fold = c_ops[maximal & simple]
        folded_neg[fold] = True
        num_value[fold] = -value_of[end[fold]]
        emitted[end[fold]] = False          # the negated number is now the neg's own record
    emitted &= ~bad[tok_text]
    n_kept = np.concatenate([[0], np.cumsum(emitted)])

    # postfix order: leaves at their position, operators where their operand ends, inner first
    tier = np.where(is_leaf | folded_neg, 0, 1)
    sel = np.flatnonzero(emitted)
    order = sel[np.lexsort((-pos[sel] * tier[sel], tier[sel], end[sel]))]

    # records
    k = kind[order]
    code = np.zeros(len(order), dtype=np.int32)
    for tk, opc_ in _BINARY_OPCODE.items():
        code[k == tk] = opc_
    f = k == T_FUNC
    code[f] = func_opcode[order[f]]
    names_m = (k == T_NAME) | (k == T_PNAME)
    code[names_m] = leaf_kind[order[names_m]]
    arg = np.where(names_m, leaf_arg[order], 0).astype(np.int32)
    value = np.where(names_m, leaf_value[order], 0.0)
    nm = (k == T_NUM) | folded_neg[order]
    code[nm] = enc.LEAF_CONST
    value[nm] = num_value[order[nm]]
    size = (n_kept[end[order] + 1] - n_kept[first[order]]).astype(np.int32)
    accepted = ~bad[:ntext]
    counts = np.bincount(tok_text[order], minlength=ntext)[:ntext]
    start = np.zeros(int(accepted.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[accepted], out=start[1:])
    given = np.bincount(tok_text[(is_leaf | emit_op | is_func) & live], minlength=ntext)[:ntext][accepted]
    flat = FlatPrograms(code, arg, value, size, start, name_table, dtype)
    return flat, given.astype(np.int64), accepted


def _resolve_names(b, w_start, w_len, tok_word, kind, dtype, params, variables):
    """Per-token leaf code/arg/value for names, opcode/arity for calls, the names table, and
    which tokens make their text take the exact path."""
    ntok = len(kind)
    leaf_kind = np.zeros(ntok, dtype=np.int64)
    leaf_arg = np.zeros(ntok, dtype=np.int64)
    leaf_value = np.zeros(ntok)
    func_opcode = np.zeros(ntok, dtype=np.int64)
    func_arity = np.zeros(ntok, dtype=np.int64)
    name_bad = np.zeros(ntok, dtype=bool)
    name_tok = np.flatnonzero((kind == T_NAME) | (kind == T_PNAME) | (kind == T_FUNC))
    table: dict[str, int] = {}
    if not len(name_tok):
        return leaf_kind, leaf_arg, leaf_value, func_opcode, func_arity, (), name_bad
    spelled = _spellings(b, w_start[tok_word[name_tok]], w_len[tok_word[name_tok]])
    # the same spelling means different things as a call, after '$' and as a bare name
    role = kind[name_tok]
    # distinct (role, spelling) pairs
    uniq_sp, sp_inv = np.unique(spelled, return_inverse=True)
    combo = sp_inv.astype(np.int64) * 16 + role
    ucombo, cinv = np.unique(combo, return_inverse=True)
    r_kind = np.zeros(len(ucombo), dtype=np.int64)
    r_arg = np.zeros(len(ucombo), dtype=np.int64)
    r_value = np.zeros(len(ucombo))
    r_op = np.zeros(len(ucombo), dtype=np.int64)
    r_arity = np.zeros(len(ucombo), dtype=np.int64)
    r_bad = np.zeros(len(ucombo), dtype=bool)
    keep: list = []
    roles = {T_FUNC: "call", T_PNAME: "$", T_NAME: "name"}
    for j, cmb in enumerate(ucombo.tolist()):
        r_bad[j], code, r_arg[j], r_value[j], arity, _ = meaning(
            uniq_sp[cmb // 16].decode("ascii"), roles[cmb % 16], dtype, params, variables, table, keep)
        if cmb % 16 == T_FUNC:
            r_op[j], r_arity[j] = code, max(arity, 0)
        else:
            r_kind[j] = code
    leaf_kind[name_tok] = r_kind[cinv]
    leaf_arg[name_tok] = r_arg[cinv]
    leaf_value[name_tok] = r_value[cinv]
    func_opcode[name_tok] = r_op[cinv]
    func_arity[name_tok] = r_arity[cinv]
    name_bad[name_tok] = r_bad[cinv]
    return leaf_kind, leaf_arg, leaf_value, func_opcode, func_arity, tuple(table), name_bad


def _spellings(b: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The byte strings b[starts[k]:starts[k] + lens[k]] as one fixed-width bytes array."""
    width = int(lens.max())
    grid = np.zeros((len(starts), width), dtype=np.uint8)
    cols = np.arange(width)
    inside = cols[None, :] < lens[:, None]
    grid[inside] = b[(starts[:, None] + cols[None, :])[inside]]
    return grid.view(f"S{width}").reshape(-1)


def _number_values(b, starts, lens, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Each number's value in dtype, correctly rounded from its decimal text: float64 by the C
    library's correctly rounded conversion; float32 from that, except where the float64 value
    sits exactly on a float32 rounding boundary (or is not a normal float64), which are
    rounded from the exact decimal instead."""
    spelled = _spellings(b, starts, lens)
    v64 = spelled.astype(np.float64)
    tiny = np.finfo(np.float64).tiny
    exact = ~np.isfinite(v64) | (np.abs(v64) < tiny)
    if dtype == "float32":
        with np.errstate(over="ignore"):
            v32 = v64.astype(np.float32)
            toward = np.where(v32.astype(np.float64) < v64, np.float32(np.inf), np.float32(-np.inf))
            other = np.nextafter(v32, toward.astype(np.float32))
            mid = (v32.astype(np.float64) + other.astype(np.float64)) / 2
        exact |= (v64 == mid) & (v32.astype(np.float64) != v64)
        exact |= ~np.isfinite(v32)
        out = v32.astype(np.float64)
    else:
        out = v64
    failed = np.zeros(len(out), dtype=bool)
    if exact.any():
        from ..numbers import decimal_value, round_value
        for i in np.flatnonzero(exact).tolist():
            try:
                out[i] = float(round_value(decimal_value(spelled[i].decode("ascii")), dtype))
            except ValueError:          # out of exprc's range: the parser says so
                failed[i] = True
    return out, failed
