"""The shape of a convention's plan (docs/format.md, "orientations"): orientations nest through
`parent` (enjeu → objectif → …) at most three levels deep, and never in a cycle.

One rule for every writer: the import checks each orientation row with it, the Référentiels form
each orientation it saves, over the whole plan as it would be after the write (the rows already
stored, with the file's or the form's values in place).
"""

from collections.abc import Iterable, Mapping

MAX_LEVELS = 3  # enjeu → objectif → sous-objectif; the fiches actions hang below
SELF_PARENT = "une orientation ne peut pas être son propre parent"

Parents = Mapping[str, str | None]  # orientation code → its parent's code (None: a top level)


def orientation_problem(code: str, parents: Parents, *, with_descendants: bool = True) -> str | None:
    """What is wrong with orientation `code` in the plan `parents` (French, or None): its own
    parent, a cycle through its parents, or more than three levels from its top level down to
    it — and, `with_descendants`, down to its deepest descendant, so that moving a stored
    orientation with its children is checked too (an import checks each of its rows without:
    the row that goes too deep is the one reported)."""
    parent = parents.get(code)
    if parent == code:
        return SELF_PARENT
    chain = [code]
    while parent is not None:
        if parent in chain:
            loop = [*chain[chain.index(parent) :], parent]
            return f"cycle dans les parents : {' → '.join(loop)} (une orientation ne peut descendre d'elle-même)"
        chain.append(parent)
        parent = parents.get(parent)
    below = _deepest_branch(code, parents) if with_descendants else []
    path = [*reversed(chain), *below]
    if len(path) > MAX_LEVELS:
        return (
            f"plus de trois niveaux : {' → '.join(path)} "
            f"(enjeu → objectif → sous-objectif au plus, les fiches actions en dessous)"
        )
    return None


def _deepest_branch(code: str, parents: Parents) -> list[str]:
    """The codes below `code` down its deepest line of descendants (not `code` itself)."""
    children = _children(parents)
    best: list[str] = []
    stack: list[tuple[str, list[str]]] = [(code, [])]
    seen = {code}
    while stack:
        node, path = stack.pop()
        if len(path) > len(best):
            best = path
        for child in sorted(children.get(node, ())):
            if child not in seen:  # a cycle below is reported on its own rows
                seen.add(child)
                stack.append((child, [*path, child]))
    return best


def _children(parents: Parents) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        if parent is not None and parent != child:
            children.setdefault(parent, []).append(child)
    return children


def parents_first(codes: Iterable[str], parents: Parents) -> list[str]:
    """`codes` ordered so that each comes after its parent when the parent is among them (the
    order an import writes its rows in, and the order an export lists them in); codes caught in a
    cycle come last, in their given order. Siblings keep their given order."""
    given = list(codes)
    wanted = set(given)
    children = _children({code: parents.get(code) for code in given})
    ordered: list[str] = []
    placed: set[str] = set()
    roots = [code for code in given if parents.get(code) not in wanted or parents.get(code) == code]
    for root in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            if node in placed:
                continue
            placed.add(node)
            ordered.append(node)
            stack.extend(reversed([child for child in given if child in children.get(node, ())]))
    return ordered + [code for code in given if code not in placed]


def depth(code: str, parents: Parents) -> int:
    """The level of an orientation: 1 for a top level (enjeu), 2 below it (objectif)…; a code
    caught in a cycle counts the levels until the cycle closes."""
    level, seen, parent = 1, {code}, parents.get(code)
    while parent is not None and parent not in seen:
        seen.add(parent)
        level += 1
        parent = parents.get(parent)
    return level
