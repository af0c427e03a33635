"""The reader's thresholds for finding lines, end-stops and pen marks: one documented place.

Each number has its unit and the reason for its value. The strip geometry, line and stop
finding (`strip.py`), the ink analysis (`blobs.py`, `crossing.py`) and the item decision
(`marks.py`) read them from here; none of them keeps a number of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from srs_scan.sheets.spec import READ_BEYOND_BAND_MM


@dataclass(frozen=True)
class Params:
    """Every threshold of the reader, with its unit and why it has that value."""

    # --- registration (register.py) ---
    detect_px_per_mm: float = 5.0
    """Markers are first searched on a copy scaled to about this many px/mm (a 10 mm marker of
    6x6 cells is then 50 px: plenty for ArUco, and 5x faster than 300 dpi)."""
    marker_corner_share: float = 0.25
    """Markers are looked for first in the four corner regions of the image, each this share of
    its width and height; the whole image is searched only if any is missing there. On A4 and
    Letter a marker's inner edge is 25-34 mm from the paper's edges, within the outer 13 % of
    either side: the rest leaves room for skew, fit-to-page printing and a scanner's margin."""
    max_residual_mm: float = 0.8
    """Largest distance between a detected marker corner and where the fitted homography puts it.
    Larger means the markers disagree (a marker moved, paper badly curled): poor_registration."""
    max_leave_one_out_mm: float = 2.5
    """With four markers, each is predicted from the other three; a miss larger than this means
    they disagree (a homography can bend to fit four wrong points exactly). A curled phone photo
    misses by ~0.5-1.5 mm."""
    min_markers_trusted: int = 3
    """With fewer markers the homography is extrapolated from a small part of the page."""
    corner_refine_mm: float = 0.6
    """Marker corners are refined at full resolution within a window of this half-width (at
    least 2 px): a marker cell is ~1.7 mm, so the window stays inside the corner's own cell."""
    corner_refine_max_shift_px: float = 1.5
    """A refined corner further than this from the detected one (in px of the scaled copy the
    marker was found on, at least 2 full-resolution px) has wandered into a neighbouring cell's
    corner (a blurred or low-resolution scan) and the detected corner is kept."""
    min_image_px: int = 50
    """An image with a side shorter than this (px) cannot hold a form at any usable resolution
    (50 px over 210 mm is 6 dpi): an error row, not a reading."""

    # --- the strip around each line ---
    strip_px_per_mm: float = 12.0
    """Rectified strip resolution: 0.083 mm per px, about a 300 dpi scan's own pixel."""
    strip_beyond_band_mm: float = READ_BEYOND_BAND_MM
    """The strip reaches this far past the form's clear band (+-6 mm on the SRS sheet): enough
    to show whether ink continues outside it (other handwriting), while the form keeps its
    text further out (`spec.READ_BEYOND_BAND_MM`, checked when a form file is loaded)."""
    paper_window_mm: float = 8.0
    """Paper brightness is the local maximum over this window: wider than any mark (a scribble
    is ~5 mm) so that ink never counts as paper, narrow enough to follow uneven phone light."""
    smooth_above_ratio: float = 1.6
    """A scan with more than this many image px per strip px is smoothed before it is sampled
    into the strip, so thin strokes are averaged rather than skipped (600 dpi is ~2 x 12 px/mm;
    300 dpi, 0.98 x, is sampled as it is)..."""
    smooth_sigma_px: float = 0.4
    """... by a Gaussian of this sigma in strip px: enough to average the skipped pixels, little
    enough to keep a 0.3 mm stroke's darkness."""

    # --- printed line and end-stops ---
    line_search_mm: float = 2.0
    """How far from where the homography puts the line we look for it."""
    line_chunk_mm: float = 10.0
    """The line is located in chunks of this length, then fitted as a straight line."""
    line_percentile: float = 30.0
    """Per chunk, the line's profile is this percentile across columns: the printed line is in
    every column, pen marks in few, so a low percentile keeps the line and drops the marks."""
    line_open_mm: float = 1.5
    """Ink near the line that runs on horizontally at least this far is the printed line; pen
    strokes crossing it are narrower (0.3-0.8 mm, ~1 mm slanted)."""
    line_rows_mm: float = 0.6
    """Half-height of the printed line's rows, blur included (a 0.14 mm stroke, blurred)."""
    line_rows_slack_mm: float = 0.3
    """Ink counts as lying wholly within the line's rows when it stays within `line_rows_mm` plus
    this: a 1-bit fax's line pieces are ragged by about a pixel (0.13-0.25 mm)."""
    line_outlier_mm: float = 0.4
    """A chunk whose line row lies further than this from the chunks' median is left out of the
    line fit (a thick mark pulled its profile): the line itself, even skewed 2 deg over a 10 mm
    chunk, moves much less between neighbouring chunks once the strip is rectified."""
    line_min_chunks: int = 3
    """At least this many chunks must show the line (and survive the outlier check) to fit it
    as a straight line; two points would fit anything."""
    stop_search_mm: float = 1.5
    """How far from the expected end-stop we look for it (registration error, not print scale:
    the homography already absorbs uniform scaling)."""
    stop_max_shift_mm: float = 1.2
    """A detected end-stop further than this from where expected is not trusted (registration on
    a flat scan is good to ~0.2 mm; a curled phone photo can be off by ~1 mm)."""
    stop_length_tol_mm: float = 0.25
    """The two detected end-stops of a line lie this close to its printed length apart, and
    each this close to where the registration puts it (the homography absorbs the print scale:
    on simulated office, messy, phone and fax scans the length is within 0.12 mm). A stop
    away from both, with pen ink at it, while the other stop is clear and where expected, was
    taken from the mark's ink (messy seed 603 p30: an X at 9.81 made the stop 1 mm short, read
    10.0): it is placed the printed length from the other stop instead."""
    stop_prior_mm: float = 0.4
    """Spread (1 sigma) of where an end-stop is found around where the homography puts it. On
    simulated office, fax, messy and phone scans the stops sit within 0.1 mm of that; a curled
    photo may be ~1 mm off, which is still found when nothing else near it looks like a stop."""
    stop_rows_percentile: float = 60.0
    """A column is part of the printed stop when this percentile of its darkness over the stop's
    rows is ink, i.e. ink covers at least 40 % of them: a 1-bit fax prints the stop as a stair
    whose steps each cover about half; a pen stroke beside the stop seldom runs that far."""
    stop_rows_start_mm: float = 0.5
    """The stop's own rows, looked at to find it, start this far from the line centre (nearer,
    the printed line darkens every column alike)..."""
    stop_tip_gap_mm: float = 0.3
    """... and end this far short of its printed tips (the tips blur and a 1-bit fax may cut
    them short)..."""
    stop_beyond_mm: float = 0.6
    """... and the paper beyond its tips, which must be clear, starts this far past them (past
    the tips' blur) and ends `strip_edge_mm` short of the strip's edge."""
    strip_edge_mm: float = 0.2
    """Rows this close to the strip's top or bottom are not used for clear paper: the warp
    repeats the edge pixels there."""
    stop_beyond_ratio: float = 0.3
    """A column is stop-like when the paper beyond the tips is less than this share as dark as
    the stop's rows: a pen stroke over the stop continues past a tip; the stop does not."""
    stop_centroid_mm: float = 0.4
    """The stop's x is the darkness centroid of the columns within this distance of its darkest
    stop-like column (the printed stop is 0.14 mm, blurred to ~0.5 mm)..."""
    stop_weight_share: float = 0.5
    """... each column weighted by its darkness above this share of `ink_threshold`, so paper
    noise does not pull the centroid."""
    stop_rows_from: float = 0.3
    """The stop's columns are judged on the rows from this share of its half-height out to its
    tip: nearer the line, the line's own ink would make every column look like the stop."""
    stop_reach_mm: float = 0.4
    """Around an end-stop the printed ink is cleared up to this far beyond its tips (its blur);
    ink that reaches no further counts as the stop's, not a mark's."""
    stop_join_px: int = 2
    """A row with ink within this many strip px on both sides of a cleared stop is one mark
    drawn across it, and its two halves are one blob (0.17 mm: the stop's blurred edge)."""
    stop_clear_mm: float = 0.6
    """Half-width of the strip removed around a detected end-stop before looking for marks."""
    stop_remnant_width_mm: float = 0.7
    """Ink left in an end-stop's zone after clearing it, no taller than the stop and narrower
    than this, is what remains of the stop (a 1-bit fax prints the 0.14 mm stop as a stair
    ~0.3-0.45 mm across); a pen dot on the stop is >= 0.9 mm across and is a mark (phone seed
    11: dots at 0.0 and 9.96 were dropped and the items read no_mark)..."""
    stop_remnant_area_mm2: float = 0.65
    """... and has less ink than this: the whole printed stop is 4 x 0.14 = 0.56 mm2; what its
    clearing misses, with the line's broken edge pieces beside it, reached 0.52 mm2 on 1-bit
    faxes (fax seeds 11-12). A 1.1 mm dot over the stop keeps ~0.7 mm2 beside the cleared
    columns; a smaller dot stays dropped, and the item is then flagged no_mark (safe)."""

    tick_window_mm: float = 1.4
    """A mark hidden in a tall end tick of an enrolled form (`endtick.py`) is looked for in the
    columns this far either side of the tick: a pen stroke (0.3-0.8 mm) overlapping the printed
    tick lies within them; one further aside keeps ink of its own and `blobs.py` reads it..."""
    tick_pen_mass_mm: float = 0.12
    """... in the tick's rows that carry this much more ink (darkness x mm, summed across the
    columns) than the tick alone: a 0.3 mm pen stroke at 0.5 darkness beside it adds 0.15; a
    blank tick's rows differ from the other end's by < 0.07 on the simulated phone photos..."""
    tick_pen_rows_mm: float = 1.0
    """... over at least this much of the tick's height (a 0.9 mm dot on the line shows ~0.5 mm
    beside the line's rows on each side)..."""
    tick_edge_px: int = 2
    """... and whose surplus stays inside those columns: ink reaching the window's outer columns
    (this many strip px) runs on beyond the tick (a stain's band, a stroke from elsewhere) and
    is `blobs.py`'s to judge..."""
    tick_clean_rows_mm: float = 1.0
    """... and the tick's own centre is taken from its rows without surplus when they add up to
    this much, else from where the registration puts it."""
    tick_band_even: float = 1.5
    """A surplus on every row of the tick whose heaviest rows (90th percentile) carry no more than
    this many times its lightest (10th) is a band along the tick, not a pen mark: a dot or a
    short tick inside the tick leaves rows clean, and a shadow's band is even (within ~12 %)."""
    tick_beyond_mm: float = 1.0
    """... unless the paper beyond both its tips is clear over this much of their height (from
    `stop_reach_mm` past each tip): then it is a pen stroke laid along the tick and ending with
    it (messy seed 814 p1), as a band runs on past the tips."""

    x_arms_min_rows: int = 6
    """An X over an end-stop is fitted arm by arm only with at least this many complete rows per
    arm (0.5 mm of arm at 12 px/mm), else the centroid fit stands..."""
    x_arms_min_span_mm: float = 0.8
    """... spread over at least this height (a slope from less is too loosely held)..."""
    x_arms_max_rms_mm: float = 0.12
    """... and only when each arm is straight: its crossings lie this close (rms) to a line.
    A drawn stroke wobbles by less; a ring's sides or a scribble do not fit."""
    x_arms_clear_gap_mm: float = 0.2
    """... where a crossing this close to the cleared stop may have lost ink to it (the blurred
    edge of a stroke is ~0.1-0.2 mm) and is left out of the arm fit..."""
    x_arms_max_shift_mm: float = 1.5
    """... and only when it moves the value by at most this: the centroid fit's bias from a cut
    arm is ~0.6 mm, from one long shallow arm beside a stop up to ~1.1 mm (fax seed 52: read
    1.5 mm off, the arms 0.3 mm), so a larger change means the arms were not what they seemed."""
    x_arms_reach_mm: float = 3.0
    """... fitted on rows from `line_rows_mm` out to this distance from the line: an X's arms
    are straight there; further out a hand curls them or they end."""
    x_arms_min_slope: float = 0.3
    """... and only when the arms slope opposite ways, each by at least this (mm of x per mm of
    y, ~17 deg from vertical): steeper lines are a tick's two sides, not an X."""

    # --- pen marks ---
    ink_threshold: float = 0.15
    """Darkness (0 paper, 1 black) above which a pixel is ink. JPEG noise stays under ~0.08;
    pencil is ~0.25-0.5, pens 0.5-0.9."""
    bridge_mm: float = 1.6
    """Vertical closing across the line: the printed line's rows (2 x `line_rows_mm`) are
    cleared of ink that runs along them, which can cut a mark in two; this rejoins the halves."""
    min_mark_area_mm2: float = 0.12
    """Smaller ink blobs are dust, toner specks or JPEG artefacts (a pen dot is >= 0.3 mm2)."""
    line_speck_area_mm2: float = 0.45
    """A blob lying wholly within the printed line's rows and smaller than this is a piece of the
    line itself (the steps of a skewed 1-bit fax line), not a mark: the smallest pen dot
    (0.9 mm across) covers ~0.6 mm2."""
    line_piece_height_mm: float = 0.7
    """A blob lying wholly within the printed line's rows and flatter than this is a piece of the
    line, whatever its length: a 1-bit fax breaks a line whose grey is near its threshold into
    dashes 1-2 mm long and ~0.4 mm tall. A pen dot is >= 0.9 mm across, and a stroke crossing
    the line reaches well outside its rows."""
    line_piece_over_line_mm: float = 0.4
    """... or flatter than the printed line's own height in this strip plus this: where a 1-bit
    fax's line steps to the next pixel row, its broken pieces cover both rows, one fax row
    (0.25 mm at 98-100 dpi) and a blurred edge taller than the line. The shared VAS form's
    0.5 mm tall faxed line left 0.75 mm pieces, read as a dot on an empty line (VAS fax seeds 5
    p13, 9 p19); at 204 x 98 dpi the line measures 0.42 mm and its pieces still 0.75 mm."""
    touch_mm: float = 0.9
    """A mark whose ink comes this close to the line centre touches it: the printed line's rows
    (`line_rows_mm`) are cleared of all ink, so a crossing stroke resumes just outside them.
    Off-line marks stand clear by 1.5 mm or more."""
    touch_unsure_mm: float = 0.7
    """... but a mark on one side of the line whose nearest ink is farther than this from the
    line centre stops short of it by ~0.7-0.9 mm of paper, where a person hesitates too: it is
    flagged off_line, not read. Within ~0.1 mm of `touch_mm` a stain's band or a blurred tip
    decides which side it falls (stray seed 507 p53: a tick 1.07 mm short, its tip joined to a
    dark ring's band at 0.83 mm, read 2.84 with no flag)."""
    fit_rows_mm: float = 1.5
    """Where a mark meets the line is fitted on its ink within this distance of the line."""
    fit_min_rows: int = 3
    """A crossing is fitted as x(dy) through at least this many rows of ink (fewer cannot show a
    slope); with fewer near the line, the mark's other rows are used."""
    fit_min_span_px: float = 2.0
    """... and only when those rows span more than this (strip px, 0.17 mm): a mark just
    touching the line gives no slope, and its ink-weighted mean x is used."""
    fit_max_slope: float = 3.0
    """A fitted crossing slope steeper than this (mm of x per mm of y, ~70 deg from vertical)
    is ill-posed: a stroke nearly along the line; its ink-weighted mean x is used."""
    ring_pad_px: int = 2
    """A ring with a side on an end-stop is checked for closure with this many px more on each
    side: a stop cleared right up to the ring's side leaves no cleared pixel inside the box."""
    ring_side_min_mm: float = 1.2
    """A ring closed by a cleared end-stop on one side has its centre a radius from the stop; a
    fit nearer than this is an X whose arms reach the stop (circles are drawn 1.8-3.5 mm in
    radius; a smaller one is a dot's size)."""
    ring_gap_mm: float = 1.2
    """A ring on an end-stop is checked for closure (with the cleared stop) with gaps up to this
    wide bridged: where the pen closes a ring it may stop short of its start (the simulator's
    circles leave up to 0.35 rad of their 1.8-3.5 mm radius, less a pen width), and a ring on a
    stop with such a gap made no hole and was fitted on its far side alone (messy seed 603 p16:
    2.5 mm off, no flag)."""
    ring_side_reach_mm: float = 1.0
    """A ring whose side on an end-stop is hidden on every row (`endtick.ring_side_in_stop_col`)
    shows, near the line, only its far side: its outermost ink, within a pen stroke's width
    and blur of it. An X whose arms reach the stop has its crossing there instead, arms
    reaching on beyond it by 2 mm or more..."""
    ring_min_across_mm: float = 1.8
    """... and its two sides lie at least this far apart (a mark nearer the stop is a tick or a
    dot beside it). A circle drawn round a value is 3.6 mm across and more, but the sides are
    weighed 0.6-1.5 mm from the line, where a 3.6 mm ring is 2.0-3.4 mm across: at 3.0 a small
    ring with its side on the stop was fitted on its far side alone (SRS without markers, messy
    seed 104 p18: 9.77 read 9.64, no flag), and at 2.0 one whose hidden side lay just inside the
    stop's middle, 1.95 mm from its far side (office seed 790 p107: 9.79 read 9.70, no flag)."""
    hole_min_area_mm2: float = 1.0
    """A hole in a blob smaller than this is a gap in a scribble or an X's crossing, not the
    inside of a circle drawn round a value (~3 mm across and more)."""
    merge_gap_mm: float = 1.2
    """Marks on the line closer than this are pieces of one mark (a broken stroke)."""
    two_marks_apart_mm: float = 1.2
    """... but two pieces that each cross the line on their own are two marks when their
    crossings lie farther apart than this: a stroke drawn twice over lies within a pen width
    or two (0.3-0.8 mm each) of itself, while two slanted ticks 2 mm apart have boxes that
    nearly touch (stray seeds 301-304: four such pairs, 2.1-2.6 mm apart, read as one value)."""
    stain_darkness: float = 0.25
    """Ink whose darkest part (90th percentile, where it meets the line) is lighter than this is
    as likely the paper's handling as a pen: a fold crease, a coffee ring, or the two
    overlapping (simulated ones reach 0.21; the lightest pencil mark reads ~0.40). It never
    counts beside a real mark (no multiple_marks, off_line or crossed_out from a stain); on a
    line with nothing else it is shown as a faint candidate and the item flagged no_mark+faint."""
    stain_min_width_mm: float = 0.8
    """Light ink (below `stain_max_darkness`) at least this thick both ways is the area of a
    stain (a coffee ring's band is ~1.5 mm wide) and is kept apart from the pen ink it touches.
    Pen and pencil strokes are thinner (0.3-0.8 mm) or darker (a felt tip's 1 mm stroke), and a
    dark stroke's light blurred edge is thinner still; a light dot this big touches no darker
    ink, so it is unchanged."""
    stain_loop_max_mm: float = 12.0
    """Stain-like ink closing a loop no wider or taller than this is a light pen or pencil circle
    (drawn 1.8-3.5 mm in radius), not a stain: a cup's ring is 30 mm across and more."""
    stain_loop_min_hole_mm2: float = 3.0
    """... a loop round at least this much paper (a 1.8 mm circle's inside, less its stroke, is
    ~5 mm2): grain in a stain's band leaves smaller holes."""
    stain_speck_area_mm2: float = 0.6
    """Ink smaller than this (a pen dot, 0.9 mm across, is 0.64 mm2) lying in a stain's
    columns (give or take `stain_speck_pad_mm`) and no more than `stain_speck_darker` darker
    than the stain is a piece of the stain's band: a ring's band breaks up where it thins."""
    stain_speck_pad_mm: float = 1.0
    """(a ring's band wobbles ~0.5 mm sideways as it crosses the strip)"""
    stain_speck_darker: float = 0.1
    """(darkness: a ring's band varies by ~0.05 along it; a pen dot is >= 0.3 darker)"""
    stain_ridge_share: float = 0.6
    """Ink darker than `stain_max_darkness` whose outline lies this much along a stain is the
    stain's ridge (a dark ring's middle: its flanks 0.5-1 mm wide either side of it, both along
    the whole band), if it is at most `stain_ridge_darker` darker than the stain beside it; a
    pen stroke crossing a ring's band meets it over the band's width only (< 0.4 of a tick's
    outline)."""
    stain_ridge_half_width_mm: float = 0.45
    """... and if its pixels lie this far inside ink (their median distance from paper): a
    ridge runs along the middle of its ring's band, which is >= 1.1 mm wide where it has one,
    with edges softened over ~0.4 mm each side: 1.0-1.2 mm inside, 0.6 where the band runs
    along the printed line (its removal cuts into the band); a pencil stroke, its light edges
    included, is <= ~0.9 mm wide, and its core spans most of that: ~0.2 mm inside."""
    stain_ridge_darker: float = 0.05
    """(darkness, 90th percentiles: a ridge thin enough to be cut from its flanks is a band's
    middle just over the cut, 0.01-0.02 darker than them (seeds 703 p39, 704 p37); a wider one,
    darker, is a stain's band itself (`stain_thickness_mm`). A pen is >= 0.25 darker than a
    stain it crosses, a pencil stroke painted over one (grey 150) 0.08.)"""
    stain_red_share: float = 0.65
    """A stain's band darker than `stain_max_darkness` (and lighter than `stain_ink_darkness`)
    is set aside like a light one when a colour scan shows it brown (`colour.py`): it absorbs
    red light at most this share of blue (simulated coffee and tea rings, scanned: 0.46; blue
    and black pens, pencil and grey dirt >= 0.9, a red pen 0.3; light pencil drawn over a
    ring ~0.7) ..."""
    stain_green_share: tuple[float, float] = (0.5, 0.85)
    """... and green between these shares of blue (rings 0.72; a red pen 1.03)."""
    stain_colour_pen_area_mm2: float = 0.05
    """(a band with this much ink darker than `stain_colour_pen_darkness` has a pen mark on it
    and is not set aside by its colour: a pen dot is 0.64 mm2 ...)"""
    stain_colour_pen_darkness: float = 0.5
    """(... where the simulator's darkest ring (coffee, strength 0.6, 2.6 mm) reaches 0.49 once
    the printed line is taken away; a black dot on the line over a ring's band keeps 0.5-0.6 of
    its darkness there, the line's removal taking the rest)"""
    stain_colour_darkest_share: float = 0.05
    """(both its darker half and its darkest pixels, this share of them, must be brown)"""
    stain_colour_min_absorb: float = 0.12
    """(the band absorbs at least this much blue light: below, its colour is the scan's noise)"""
    stain_colour_min_px: int = 20
    """(pixels of the band off the printed line, and of paper around it, to judge colour on)"""
    stain_colour_paper_mm: float = 3.0
    """(the paper's own colour is taken this far either side of the band ...)"""
    stain_colour_paper_darkness: float = 0.04
    """(... where the strip is no darker than this)"""
    light_min_area_mm2: float = 0.8
    """Ink at the line lighter than `stain_max_darkness` and smaller than this is no mark: a
    light ring's band breaks up at the ink threshold into thin bits of 0.4-0.76 mm2 (stray seed
    502: an empty line read as a value); a light pencil tick, 4-9 mm tall and 0.25 mm wide, has
    more ink. (A light pencil dot is then no_mark + faint: flagged. Off the line a light small
    mark is kept: a 150 dpi scan's off-line tick is that light.)"""
    stain_max_darkness: float = 0.35
    """Ink lighter than this may be a stain's (simulated ones reach 0.21, a darker ring ~0.3);
    a pen stroke's core is darker (the lightest pencil ~0.40), only its blurred edge is this
    light, and that edge goes with the stain where the stroke crosses it."""
    darkness_percentile: float = 90.0
    """A blob's darkness is this percentile of its ink: its dark core, not its blurred rim."""
    darkness_min_px: float = 4.0
    """... judged on a part of the ink only when that part has at least this many pixels..."""
    darkness_min_share: float = 0.25
    """A mark's darkness is judged beside the line's rows only when at least this share of its
    ink lies there; otherwise (a dot, 0.9-1.6 mm across, centred on the line) on all of it."""
    pencil_darkness: float = 0.18
    """Light ink (below `stain_darkness`) shaped like a pencil stroke crossing the line is a
    pencil mark a person reads at a glance when it is at least this dark (90th percentile):
    simulated pencil of opacity 0.25-0.37, grey ~185-205 on white, measures 0.18-0.25 (messy
    seeds 801-809: 24 such marks were flagged no_mark + faint; 20 now read, the other 4 broken
    by a crease or a stain). Pencil lighter still (opacity 0.12-0.2, grey ~215), where a person
    hesitates too, is mostly under `ink_threshold` and stays flagged."""
    pencil_min_height_mm: float = 3.0
    """... its largest piece at least this tall (a pencil tick is drawn 4-9 mm; where a light
    one is broken at the line, each half is 3-4 mm): a ring's band grazing the line leaves
    flat pieces 0.8-2 mm tall; a light pencil dot stays no_mark + faint..."""
    pencil_width_mm: tuple[float, float] = (0.18, 0.65)
    """... and its stroke this wide (twice area over outline): simulated light pencil measures
    0.2-0.55 mm; a fold crease's thin grey line 0.08-0.13, a ring's band 0.7 and more."""
    pencil_cut_gap_mm: float = 0.45
    """... and its ink itself (not the closing's bridge across the line) reaching this near the
    line's centre from above and from below: light pencil, cut where the printed line is taken
    away, reaches into the line's rows (0.08-0.33 mm from its centre, messy seeds 801-809),
    while a ring's band or a crease's pieces that stop short of the line end 0.65 mm or more
    from it."""
    faint_darkness: float = 0.18
    """A mark whose darkest ink (90th percentile) is lighter than this is too faint to trust...
    (0.25, `stain_darkness`, until light pencil strokes were read from `pencil_darkness` on:
    lighter ink is never a mark, so this is now that same limit.)
    (0.30 until the stray profile's pencil, opacity 0.12-0.8: pencil a person reads without
    hesitating, 0.25-0.30 here, was flagged faint; lighter ink than `stain_darkness` is set
    aside as no mark and flagged no_mark + faint, so this is now that same limit. Reading
    lighter pencil (0.18-0.25, plain to see) was tried and withdrawn: a fold crease's thin
    straight piece on a blank messy page, 0.22, looked the same and was read as a value; it is
    now read by its shape, `pencil_width_mm` and the rest)"""
    faint_vs_line: float = 0.8
    """... unless it is at least this share of the printed line's darkness in the same strip.
    A 150 dpi or blurred phone scan shows the 0.14 mm printed line at ~0.3 (a 300 dpi scan at
    ~0.5), and thin pencil marks as dark as it, 0.26-0.30: flagged faint though plainly
    visible (low-res seed 11: 5 of 7 flagged clean items). On a 300 dpi scan 0.8 x the line is
    above `faint_darkness`, so the limit there is unchanged."""
    scribble_fill: float = 0.75
    """Ink fraction of a mark's bounding box above which it is a scribble (crossed out)..."""
    scribble_min_mm: float = 3.0
    """... provided the box is at least this big both ways (a dot is dense but small)."""
    scribble_thickness_mm: float = 1.3
    """A pen-dark blob thicker than this (twice area over outline) is strokes laid over strokes:
    pen strokes are 0.3-0.8 mm (a felt tip ~1 mm), a dense scribble that fills in 1.5-2.5 mm.
    Beside another mark on the line it is the one taken back (`struck_ink_ratio`)."""
    scribble_passes: int = 4
    """A blob crossed this many times by a row of pixels (away from the line) is a zigzag
    scribble; an X, a circle or a tick is crossed at most twice."""
    passes_rows_mm: tuple[float, float] = (1.0, 3.0)
    """Passes are counted on rows this far from the line: there an X's arms have parted and
    the line's removal has not cut the strokes."""
    letters_rows_mm: tuple[float, float] = (0.4, 3.0)
    """Where a row is taken through pieces resting on the line from one side, to count them as
    letters (`kinds.letters_on_line`): a small letter is 1.2-2 mm tall, so its body lies below
    the 1 mm an X's arms need to part; within 0.4 mm of the line a stroke's foot blurs into it."""
    pass_min_run_mm: float = 0.25
    """A row crossing a pen stroke (>= 0.3 mm wide, pencil ~0.25 mm, wider when slanted) runs
    through at least this much ink; shorter runs are where a row grazes the top of a wobbly
    ring or a speck of JPEG noise, which made rings and X's on phone photos look like scribbles."""
    pass_min_gap_mm: float = 0.2
    """... and a row's runs of ink closer than this are one crossing: a hairline of paper between
    strokes laid side by side (a filled blob) comes and goes with the scan's resampling (the real
    VAS copy's filled blob was crossed 3 times upright, 4 times turned: a scribble)."""
    crease_max_darkness: float = 0.35
    """A blob crossing the whole strip that is lighter than this is a fold crease, not ink."""
    crease_span: float = 0.9
    """... where 'whole strip' means this fraction of its height."""
    off_line_max_gap_mm: float = 4.5
    """Ink this near the line that does not touch it is an off-line mark even when it runs out of
    the strip (an off-line tick drawn 1.6-3.5 mm from the line may be 6 mm long); other writing
    coming in from outside the band (a comment under the prompt) stays >= 5.5 mm away."""
    off_line_min_area_mm2: float = 0.3
    """An ink blob in the band that does not touch the line must be this big to be an off-line
    mark rather than a speck."""
    off_line_end_mm: float = 1.0
    """... and lie at least this far inside the strip's ends: ink at a strip's end is the
    neighbouring text or the margin's edge, not a mark for this line."""
    band_edge_mm: float = 0.5
    """Ink that does not reach the strip's edge is within reach of the line only when its gap to
    the line is this much less than the clear band's half-height: ink further out belongs to
    the writing beyond the band."""

    # --- the kind of a mark (drawn on overlays, shown in review; a scribble is crossed out) ---
    dot_max_mm: float = 2.0
    """A blob smaller than this both ways is a dot (a pen tapped on the line)."""
    tick_max_aspect: float = 0.7
    """A blob narrower than this share of its height is a tick (a short stroke across the line)."""
    cross_aspect: tuple[float, float] = (0.5, 2.0)
    """A blob whose width/height lies in this range (and is neither of the above) is a cross;
    anything flatter or taller is a stroke."""

    struck_min_size_mm: float = 8.0
    """Two strokes crossing over more than this either way are more than an X (arms of 4.5-8 mm
    at 28-52 degrees from upright stay within ~7.1 x 6.3 mm): a mark with a slash over it. An X
    beside a tick is two marks (multiple_marks); a slashed tick beside a tick is crossed_out."""
    struck_ink_ratio: float = 1.5
    """Of two marks on a line whose strokes cross (X-like), the one with this many times the
    other's ink was struck out: an X is two strokes of 4.5-9 mm, one struck through has one or
    two more of 7-12 mm (>= 1.5x); two X's a person drew alike differ by ~1.3x at most."""
    struck_upright_max_deg: float = 12.0
    """A tick with a slash through it is two crossing strokes, one of them upright (a tick leans
    up to ~8 degrees, measured up to ~10), the other leaning far (`struck_slash_min_deg`). Both
    arms of an X lean 22-52 degrees, so an X is never taken for a struck tick (stray seeds
    601-609: 8 of 42 slashed ticks read as an X beside the new mark, multiple_marks)."""
    struck_slash_min_deg: float = 30.0
    """The stroke across a struck tick leans at least this far from upright (slashes 35-65)."""
    cross_min_angle_deg: float = 20.0
    """Two strokes of one mark lean at least this far apart (less is one stroke gone over twice)."""
    stroke_band_slack_mm: float = 0.5
    """A straight stroke is found as the band of its own width (`Blob.thickness_mm`) plus this
    that holds the most ink: a hand's stroke bows by up to ~0.4 mm over a slash's length."""
    stroke_min_share: float = 0.15
    """The second of two strokes holds at least this share of the ink (less is a speck, a hook)."""
    strokes_explained_share: float = 0.9
    """Two strokes hold at least this share of the mark's ink; more left over is a third stroke,
    a curve or a scribble, not two strokes crossing."""
    cross_reach_mm: float = 1.0
    """Each of two crossing strokes runs on at least this far past where they cross, both ways:
    a V (a check mark's two arms meeting at a corner) does not cross."""
    strokes_meet_off_line_mm: float = 2.0
    """Two straight strokes of one piece of ink, each crossing the line, that meet farther than
    this from it cross the line in two places (`two_marks_apart_mm`): no one mark (a tick with a
    stroke from elsewhere joined at its top, messy seed 801 p43). An X's strokes cross where the
    hand aims it, on the line: the simulator's within 0.6 mm of it."""
    strokes_join_off_line_mm: float = 1.0
    """... and two that do not cross each other but join at an end above the line (a tick with
    a curved stroke drawn on from its top, a Λ), each crossing the line, when they join farther
    than this above it (messy seed 3103 p73: a tick at 2.29 and a stroke from its top across the
    line 2 mm beside it, joined 1.7 mm above the line, read 2.13 with no flag). A check mark's
    corner is at its foot: one below the line is held to `strokes_meet_off_line_mm`."""
    x_stroke_max_mm: float = 9.5
    """Of two strokes crossing each other on the line, neither is longer end to end than this
    in a pen X: its strokes are 4.5-8 mm along their middles, up to 8.8 mm of ink with a 0.8
    mm felt tip's round ends (measured up to 8.7 mm, stray seeds 801, 802, 3001, 3008, 80
    pages each). A stroke from elsewhere drawn across a mark is 10-40 mm (10.3 mm of ink and
    more): crossing a mark on the line, it is a mark with stray ink across it (messy seed 3008
    p69: 12.0 mm across a 7.6 mm slant, read 8.58). Only a stroke leaning further from upright
    than a tick (`struck_upright_max_deg`) counts: two ticks of up to 9 mm (9.8 mm of ink)
    drawn close are one mark gone over twice."""

    # --- stray ink: ink at the line that is no mark (a person would not read it as one) ---
    stray_width_mm: float = 9.5
    """Ink wider than this along the line is more than one mark: the widest single mark, a
    circle of 3.5 mm radius drawn a little wide or a scribble, is ~8 mm across (an X of 8 mm arms
    at 52 degrees is 6.3 mm). A stroke along the line, an underline or a mark joined to a stroke
    running past it is wider; so are the pieces at the line of words resting on it, read as one
    group (messy seed 3001 p25: "hard week" with a dot among its letters)."""
    loop_inside_mm: float = 0.4
    """Ink lying deeper than this inside a circle's hole (its convex hull: writing joined to the
    stroke bites into the hole), away from the line's rows, is no part of the circle: writing
    in it (a "?", messy seed 3008 p68) or another mark. A circle's own stroke lies outside its
    hole: over messy seeds 801, 802, 3001 and 3008, 110 other circles have at most 0.06 mm2 of
    ink that deep, the "?" 0.5 mm2 ..."""
    loop_inside_share: float = 0.5
    """... counting only ink at least this share of the circle's own darkness (the "?" 0.4 mm2,
    the others none), not a light fold crease running through it ..."""
    loop_inside_area_mm2: float = 0.3
    """... when there is at least this much of it (a speck of noise is less)."""
    stray_lean: float = 0.5
    """Ink that reaches out of the strip (a long stroke) leaning more than this (x per y, away
    from where it meets the line, judged >= `stray_far_mm` from the line) is a stroke from
    elsewhere: a long mark is drawn near upright (up to ~0.35 with its bend), while slanted
    marks, which lean up to ~0.85, are short and stay inside the strip."""
    stray_far_mm: float = 4.0
    """Ink this far from the line is what tells a stroke's direction (see `stray_lean`)."""
    afar_sides_apart_mm: float = 1.0
    """A mark joined to ink that runs out of the strip (an arrow or a stroke from elsewhere
    drawn across it) is read only when its crossing, fitted on its rows above the line alone
    and on those below alone (`ink.sides_apart_mm`), lies within this either way: the end of
    that ink coming near the line on one side pulls that side's fit towards it, and the reading
    with it (messy seeds 801 p29, 809 p18, 812 p58: arrows whose shafts crossed the mark and
    whose tips stopped 0.3-0.5 mm from the line, 1.2-3.0 mm apart, read 0.8-1.1 mm off with no
    flag). Marks joined to ink from afar that read right (an arrow's barb on a tick's top, a
    ring's band, an underline, a stroke ending 1.25 mm from the line beside a tick) lie within
    0.8 mm (messy seeds 801-816). A tip stopping 0.3-1 mm from the line may still pull a
    reading by up to ~0.8 mm unseen here: its rows then bend that side's fit less."""
    edge_mark_max_passes: int = 1
    """Ink that runs out of the strip on both sides of the line is one stroke: a row near the
    line (`passes_rows_mm`) crosses it at most this often. Of the marks a client draws only a
    long mark (12-17 mm, within 12 degrees of upright) reaches the strip's edge; a tick (4-9
    mm), a slanted stroke (6-10 mm), an X (arms 4.5-8 mm) and a circle (radius 1.8-3.5 mm) stay
    inside it. More strokes on such ink are a mark with a stroke from elsewhere drawn through it
    (messy seed 701 p8: a 33 mm curved stroke through a circle, leaning 0.49 where it left the
    strip, read as the circle with no flag; seed 602 p1: an arrow across a long tick, read 1.3
    mm off): stray ink, never the mark."""
    mark_max_passes: int = 2
    """Ink running out of the strip on one side only is a mark with something joined to it when
    rows on both sides of the line cross it more often than this: a circle's or an X's two
    strokes and a stroke through them. An arrow or a comment's underline touching a circle from
    one side adds no stroke on the other side (seeds 607 p20, 603 p36: the circle still reads),
    nor does an arrow's barb touching a tick's top (seed 709 p19)."""
    edge_pen_share: float = 0.6
    """... when its ink at the strip's edge (`edge_rows_mm`) is pen ink: at least this share of
    the mark's darkness at the line. A stroke through a mark is drawn with the same pen (opacity
    0.80-0.97, pencil 0.55-0.80: a share of 0.69 and more); a coffee ring's band left joined to a
    circle it crosses (messy seeds 701 p45, 702 p54: 0.16-0.21 beside circles of 0.74-0.76), or a
    fold crease joined to a pencil tick, is far lighter."""
    edge_rows_mm: float = 0.5
    """The ink at the strip's edge is judged on the rows this close to its top or bottom: a
    tick's tip (at most ~6.7 mm from the line) never reaches them, so only the ink that runs out
    of the strip is judged there."""
    stain_thickness_mm: float = 1.15
    """A long piece of ink (>= `stain_length_mm`) thicker than this (twice its area over its
    outline's length) and lighter than `stain_ink_darkness` is a stain's band: pen strokes are
    0.3-0.8 mm (thinner after blur is thresholded), a ring's band 0.8-2.6 mm, blurred wider.
    A pencil scribble's strokes laid over each other reach 0.9-1.15 mm and stay inside the
    strip; a band running out of the strip is a stain from `stain_edge_thickness_mm` on."""
    stain_edge_thickness_mm: float = 0.9
    """(stray seed 507: a dark ring's band, 1.0-1.1 mm at 0.37, running through the strip,
    read 0.0 at a stop; pencil this light measures <= 0.7 mm, and a 1 mm felt tip is pen-dark.)"""
    stain_edge_darkness: float = 0.45
    """... when it is lighter than this: a ring's band reaches ~0.4 (seed 507: 0.37), while a
    pen stroke blurred to 0.9 mm on a 150 dpi scan is still 0.55 or darker (low-res seed 53)."""
    stain_length_mm: float = 4.0
    """... a dot (0.9-1.6 mm) is as thick but short."""
    stain_ink_darkness: float = 0.6
    """... pens are darker (0.7-0.99); a coffee ring as dark as a pencil line reaches ~0.5."""
    along_rows_mm: float = 0.2
    """Pen ink running along the printed line, on it, is removed with the line; it shows as the
    line's dark core being this much taller than the line's own (median) over ... (0.3 until
    stray seeds 301 and 303: pencil strokes half over the line stood 0.25 mm taller; a clean
    line's core varies by one row, 0.08 mm)"""
    along_darker: float = 0.2
    """... or its darkest row this much darker than the line's own (median) darkness: a pen
    stroke drawn right over the line (stray seed 301: an underline at 0.81 on a 0.47 line);
    a clean line's darkness varies by ~0.05 along it."""
    along_line_percentile: float = 75.0
    """The printed line's own darkness, for the two tests above: this percentile of its darkest
    row along it (a pen stroke over a quarter of the line does not move it; the median did,
    where a 1-bit fax broke most of a line into light dashes and the rest read 'darker')."""
    along_min_mm: float = 3.0
    """... at least this long a stretch away from the marks found (a mark crossing the line
    thickens it over < 2.5 mm: an X's arms meet there)."""
    along_stain_reach_mm: float = 1.2
    """A stain set aside explains the line's thick core in the columns where its ink comes this
    near the line's centre (its band, >= 1 mm wide, grazing or crossing the line); a mark only
    where its ink is on the line's centre rows (half of `line_rows_mm`)."""
    along_side_mm: float = 0.25
    """Ink of the removed line this far or further from its centre is beside the line's own
    centre rows: the printed 0.14 mm line, blurred, keeps < 0.01 mm of ink there."""
    along_side_ink_mm: float = 0.03
    """... or the removed line holds this much more ink (mm of full-dark ink, summed over its
    rows further than `along_side_mm` from its centre) than it does along most of its length: a
    light pen stroke drawn half over the line adds ~0.06 mm beside the line's 0.14 mm and widens
    its core by less than `along_rows_mm` (messy seed 815 p2: 0.35 dark, 0.17 mm taller); a clean
    line, its blur included, varies by < 0.01 mm. Measured on our own forms scanned in grey only:
    a skewed 1-bit fax line steps a whole row (enrolled VAS fax, -1.2 deg: 0.05 mm over 3 mm),
    and a thick enrolled line (0.38 mm) wavering by a fraction of a row moves 0.04 mm."""
    along_darkness: float = 0.25
    """Rows of the removed line darker than half the line's own darkness, and than this, count
    towards its core: a light stain crossing the line (< 0.25) does not thicken it, a pen stroke
    (>= 0.5) or a pencil one (0.3-0.5) does (0.35, not relative to the line, until a pencil
    stroke half over a 0.52 line, stray seed 301, stood only 0.15 mm taller at 0.35)."""
