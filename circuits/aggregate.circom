pragma circom 2.1.9;

// Proofs that a node's per-group count and sum over its committed rows are what it
// committed to (docs/proofs.md). Cells: a numeric cell is an unsigned 32-bit integer
// (offset fixed point, 0 = null); a text cell is a field element (a hash, 0 = null).
// A chunk of N rows is committed column by column; the chunk's root is
// Poseidon(salt, column commitment 0..14).

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// Number of columns a chunk commits (unused columns commit to 0).
function MAX_COLUMNS() { return 15; }

// h = n; for each block of 15 elements (zero-padded): h = Poseidon(h, block).
template Sponge(n) {
    signal input in[n];
    signal output out;
    var blocks = (n + 14) \ 15;
    component h[blocks];
    for (var b = 0; b < blocks; b++) {
        h[b] = Poseidon(16);
        if (b == 0) {
            h[b].inputs[0] <== n;
        } else {
            h[b].inputs[0] <== h[b - 1].out;
        }
        for (var i = 0; i < 15; i++) {
            if (b * 15 + i < n) {
                h[b].inputs[i + 1] <== in[b * 15 + i];
            } else {
                h[b].inputs[i + 1] <== 0;
            }
        }
    }
    out <== h[blocks - 1].out;
}

// A column of numeric cells, each range-checked to 32 bits, packed 7 to an element and
// absorbed by the sponge. bits[i] are cell i's bits, for comparisons.
template NumericColumn(n) {
    signal input cells[n];
    signal output commitment;
    var packs = (n + 6) \ 7;
    component bits[n];
    signal packed[packs];
    var acc[packs];
    for (var p = 0; p < packs; p++) { acc[p] = 0; }
    for (var i = 0; i < n; i++) {
        bits[i] = Num2Bits(32);
        bits[i].in <== cells[i];
        acc[i \ 7] += cells[i] * (1 << (32 * (i % 7)));
    }
    for (var p = 0; p < packs; p++) { packed[p] <== acc[p]; }
    component sponge = Sponge(packs);
    sponge.in <== packed;
    commitment <== sponge.out;
}

// arr[index], with index constrained to 0..n-1.
template Select(n) {
    signal input arr[n];
    signal input index;
    signal output out;
    component eq[n];
    signal terms[n];
    var hits = 0;
    var sum = 0;
    for (var i = 0; i < n; i++) {
        eq[i] = IsEqual();
        eq[i].in[0] <== index;
        eq[i].in[1] <== i;
        terms[i] <== eq[i].out * arr[i];
        hits += eq[i].out;
        sum += terms[i];
    }
    hits === 1;
    out <== sum;
}

// One step of the node's running totals over chunk after chunk:
//   accIn  = Sponge(saltIn,  countsIn,  sumsIn)
//   accOut = Sponge(saltOut, countsIn + counts(chunk), sumsIn + sums(chunk))
// where a row counts in group j when the filter includes it (included[i], worked out by the
// caller from the filter column whose commitment is filterCommitment) and its group cell
// equals codes[j], adding its value cell to group j's sum. The chunk is the one committed in
// chunkRoot; filter, group and value are its columns filterColumn, groupColumn, valueColumn.
template ChunkBody(N, G) {
    var C = MAX_COLUMNS();
    signal input chunkRoot;
    signal input accIn;
    signal input accOut;
    signal input filterColumn;
    signal input groupColumn;
    signal input valueColumn;
    signal input codes[G];
    signal input salt;
    signal input columns[C];
    signal input filterCommitment;
    signal input included[N];
    signal input group[N];
    signal input value[N];
    signal input saltIn;
    signal input saltOut;
    signal input countsIn[G];
    signal input sumsIn[G];

    // The chunk's columns are the committed ones.
    component root = Poseidon(C + 1);
    root.inputs[0] <== salt;
    for (var c = 0; c < C; c++) { root.inputs[c + 1] <== columns[c]; }
    root.out === chunkRoot;

    component valueCol = NumericColumn(N);
    valueCol.cells <== value;
    component groupCol = Sponge(N);
    groupCol.in <== group;

    component pickF = Select(C);
    pickF.arr <== columns;
    pickF.index <== filterColumn;
    pickF.out === filterCommitment;
    component pickG = Select(C);
    pickG.arr <== columns;
    pickG.index <== groupColumn;
    pickG.out === groupCol.out;
    component pickV = Select(C);
    pickV.arr <== columns;
    pickV.index <== valueColumn;
    pickV.out === valueCol.commitment;

    component eq[N][G];
    signal hit[N][G];
    signal added[N][G];
    var counts[G];
    var sums[G];
    for (var j = 0; j < G; j++) { counts[j] = 0; sums[j] = 0; }
    for (var i = 0; i < N; i++) {
        for (var j = 0; j < G; j++) {
            eq[i][j] = IsEqual();
            eq[i][j].in[0] <== group[i];
            eq[i][j].in[1] <== codes[j];
            hit[i][j] <== eq[i][j].out * included[i];
            added[i][j] <== hit[i][j] * value[i];
            counts[j] += hit[i][j];
            sums[j] += added[i][j];
        }
    }

    component before = Sponge(2 * G + 1);
    component after = Sponge(2 * G + 1);
    before.in[0] <== saltIn;
    after.in[0] <== saltOut;
    for (var j = 0; j < G; j++) {
        before.in[1 + j] <== countsIn[j];
        before.in[1 + G + j] <== sumsIn[j];
        after.in[1 + j] <== countsIn[j] + counts[j];
        after.in[1 + G + j] <== sumsIn[j] + sums[j];
    }
    before.out === accIn;
    after.out === accOut;
}

// A chunk step whose filter is lo <= filter cell <= hi on a numeric column.
template ChunkStep(N, G) {
    var C = MAX_COLUMNS();
    signal input chunkRoot;
    signal input accIn;
    signal input accOut;
    signal input filterColumn;
    signal input groupColumn;
    signal input valueColumn;
    signal input lo;
    signal input hi;
    signal input codes[G];

    signal input salt;
    signal input columns[C];
    signal input filter[N];
    signal input group[N];
    signal input value[N];
    signal input saltIn;
    signal input saltOut;
    signal input countsIn[G];
    signal input sumsIn[G];

    // Range-checks every filter cell (32 bits) on the way.
    component filterCol = NumericColumn(N);
    filterCol.cells <== filter;
    // The bounds are public, but a comparator is only sound on 32-bit inputs: check them.
    component loBits = Num2Bits(32);
    loBits.in <== lo;
    component hiBits = Num2Bits(32);
    hiBits.in <== hi;

    component body = ChunkBody(N, G);
    component atLeast[N];
    component atMost[N];
    for (var i = 0; i < N; i++) {
        atLeast[i] = GreaterEqThan(32);
        atLeast[i].in[0] <== filter[i];
        atLeast[i].in[1] <== lo;
        atMost[i] = LessEqThan(32);
        atMost[i].in[0] <== filter[i];
        atMost[i].in[1] <== hi;
        body.included[i] <== atLeast[i].out * atMost[i].out;
    }
    body.filterCommitment <== filterCol.commitment;
    body.chunkRoot <== chunkRoot; body.accIn <== accIn; body.accOut <== accOut;
    body.filterColumn <== filterColumn; body.groupColumn <== groupColumn; body.valueColumn <== valueColumn;
    body.codes <== codes; body.salt <== salt; body.columns <== columns; body.group <== group; body.value <== value;
    body.saltIn <== saltIn; body.saltOut <== saltOut; body.countsIn <== countsIn; body.sumsIn <== sumsIn;
}

// A chunk step whose filter is: the filter cell (a text column's) equals one of matches[M].
// The verifier passes distinct matches (unused ones a code no cell equals).
template ChunkStepMatch(N, G, M) {
    var C = MAX_COLUMNS();
    signal input chunkRoot;
    signal input accIn;
    signal input accOut;
    signal input filterColumn;
    signal input groupColumn;
    signal input valueColumn;
    signal input matches[M];
    signal input codes[G];

    signal input salt;
    signal input columns[C];
    signal input filter[N];
    signal input group[N];
    signal input value[N];
    signal input saltIn;
    signal input saltOut;
    signal input countsIn[G];
    signal input sumsIn[G];

    component filterCol = Sponge(N);
    filterCol.in <== filter;

    component body = ChunkBody(N, G);
    component is[N][M];
    for (var i = 0; i < N; i++) {
        var any = 0;
        for (var m = 0; m < M; m++) {
            is[i][m] = IsEqual();
            is[i][m].in[0] <== filter[i];
            is[i][m].in[1] <== matches[m];
            any += is[i][m].out;
        }
        body.included[i] <== any;
        body.included[i] * (body.included[i] - 1) === 0;
    }
    body.filterCommitment <== filterCol.out;
    body.chunkRoot <== chunkRoot; body.accIn <== accIn; body.accOut <== accOut;
    body.filterColumn <== filterColumn; body.groupColumn <== groupColumn; body.valueColumn <== valueColumn;
    body.codes <== codes; body.salt <== salt; body.columns <== columns; body.group <== group; body.value <== value;
    body.saltIn <== saltIn; body.saltOut <== saltOut; body.countsIn <== countsIn; body.sumsIn <== sumsIn;
}

// The node's final totals acc = Sponge(salt, counts, sums) give `rows` rows in the
// released groups (its contribution), and every released group has at least k rows
// (k = 0 when k is enforced on the total over several nodes instead).
template Release(G) {
    signal input acc;
    signal input k;
    signal input rows;
    signal input released[G];

    signal input salt;
    signal input counts[G];
    signal input sums[G];

    component opened = Sponge(2 * G + 1);
    opened.in[0] <== salt;
    for (var j = 0; j < G; j++) {
        opened.in[1 + j] <== counts[j];
        opened.in[1 + G + j] <== sums[j];
    }
    opened.out === acc;

    component kBits = Num2Bits(32);
    kBits.in <== k;
    component countBits[G];
    component enough[G];
    signal inRelease[G];
    var total = 0;
    for (var j = 0; j < G; j++) {
        released[j] * (released[j] - 1) === 0;
        countBits[j] = Num2Bits(32);
        countBits[j].in <== counts[j];
        enough[j] = GreaterEqThan(32);
        enough[j].in[0] <== counts[j];
        enough[j].in[1] <== k;
        released[j] * (1 - enough[j].out) === 0;
        inRelease[j] <== released[j] * counts[j];
        total += inRelease[j];
    }
    rows === total;
}
