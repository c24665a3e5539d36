#!/usr/bin/env bash
# Regenerate every announcement clip in sounds/id and sounds/en with espeak-ng + sox.
#
# Needs (build machine only, never on the Pi at run time): apt install espeak-ng sox
# Output: <lang>/<name>.wav, 22050 Hz, mono, 16-bit PCM; leading silence trimmed, trailing
# silence trimmed then a short fixed pause added, so the gapless concatenation the hall node
# plays still has natural word spacing. Deterministic (no dither), so re-running changes no
# file unless espeak-ng itself changed. Any clip may be replaced by a recorded voice: see
# README.md for the format.
#
# Usage: sounds/generate.sh [id|en ...]     (default: both languages)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
RATE=22050
SPEED="${SPEED:-140}"   # words per minute; slow and clear for a noisy hall
WORD_GAP="${WORD_GAP:-0.06}"   # seconds of silence kept after each word

for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt install espeak-ng sox" >&2; exit 1; }
done

# name|text spoken. Letters are written as they are pronounced so espeak never spells or
# guesses: Indonesian letter names (be, ce, de...) and English ones (bee, see, dee...).
ID_CLIPS=(
  "nomor_antrian|nomor antrian" "silakan_menuju|silakan menuju" "loket|loket" "strip|strip"
  "nol|nol" "satu|satu" "dua|dua" "tiga|tiga" "empat|empat" "lima|lima" "enam|enam"
  "tujuh|tujuh" "delapan|delapan" "sembilan|sembilan" "sepuluh|sepuluh" "sebelas|sebelas"
  "belas|belas" "puluh|puluh" "seratus|seratus" "ratus|ratus" "seribu|seribu" "ribu|ribu"
  "huruf_a|a" "huruf_b|be" "huruf_c|ce" "huruf_d|de" "huruf_e|e" "huruf_f|ef" "huruf_g|ge"
  "huruf_h|ha" "huruf_i|i" "huruf_j|je" "huruf_k|ka" "huruf_l|el" "huruf_m|em" "huruf_n|en"
  "huruf_o|o" "huruf_p|pe" "huruf_q|ki" "huruf_r|er" "huruf_s|es" "huruf_t|te" "huruf_u|u"
  "huruf_v|fe" "huruf_w|we" "huruf_x|eks" "huruf_y|ye" "huruf_z|zet"
)
EN_CLIPS=(
  "number|number" "please_proceed_to|please proceed to" "counter|counter" "dash|dash"
  "zero|zero" "one|one" "two|two" "three|three" "four|four" "five|five" "six|six"
  "seven|seven" "eight|eight" "nine|nine" "ten|ten" "eleven|eleven" "twelve|twelve"
  "thirteen|thirteen" "fourteen|fourteen" "fifteen|fifteen" "sixteen|sixteen"
  "seventeen|seventeen" "eighteen|eighteen" "nineteen|nineteen" "twenty|twenty"
  "thirty|thirty" "forty|forty" "fifty|fifty" "sixty|sixty" "seventy|seventy"
  "eighty|eighty" "ninety|ninety" "hundred|hundred" "thousand|thousand"
  "letter_a|ay" "letter_b|bee" "letter_c|see" "letter_d|dee" "letter_e|ee" "letter_f|eff"
  "letter_g|gee" "letter_h|aitch" "letter_i|eye" "letter_j|jay" "letter_k|kay"
  "letter_l|el" "letter_m|em" "letter_n|en" "letter_o|oh" "letter_p|pee" "letter_q|queue"
  "letter_r|are" "letter_s|ess" "letter_t|tee" "letter_u|you" "letter_v|vee"
  "letter_w|double you" "letter_x|ex" "letter_y|why" "letter_z|zed"
)

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# One spoken clip: synthesize, convert, trim silence at both ends, add the word gap,
# peak-normalise to -1 dBFS so clips from different words sound equally loud.
speak() {  # voice name text out_dir
  local voice="$1" name="$2" text="$3" out="$4"
  espeak-ng -v "$voice" -s "$SPEED" -w "$TMP/raw.wav" "$text"
  sox -D "$TMP/raw.wav" -r "$RATE" -c 1 -b 16 -e signed-integer "$out/$name.wav" \
    silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse \
    gain -n -1 pad 0 "$WORD_GAP"
}

# The attention chime: two soft bell tones (ding-dong), same format as the words.
chime() {  # out_dir
  local out="$1"
  sox -D -n -r "$RATE" -c 1 -b 16 "$TMP/ding.wav" synth 0.45 sine 784 fade q 0.01 0.45 0.35
  sox -D -n -r "$RATE" -c 1 -b 16 "$TMP/dong.wav" synth 0.65 sine 622 fade q 0.01 0.65 0.5
  sox -D "$TMP/ding.wav" "$TMP/dong.wav" -r "$RATE" -c 1 -b 16 -e signed-integer \
    "$out/chime.wav" gain -n -4 pad 0 0.1
}

generate() {  # lang
  local lang="$1" voice out entry
  out="$HERE/$lang"
  mkdir -p "$out"
  case "$lang" in
    id) voice=id; local -n clips=ID_CLIPS ;;
    en) voice=en; local -n clips=EN_CLIPS ;;
    *) echo "unknown language $lang (id|en)" >&2; exit 1 ;;
  esac
  chime "$out"
  for entry in "${clips[@]}"; do
    speak "$voice" "${entry%%|*}" "${entry#*|}" "$out"
  done
  echo "$lang: $(find "$out" -name '*.wav' | wc -l) clips in $out"
}

if [ "$#" -eq 0 ]; then set -- id en; fi
for lang in "$@"; do generate "$lang"; done

# Cross-check against the names core/announce.py can ask for (when Python can import it).
if command -v python3 >/dev/null && [ -f "$HERE/../core/announce.py" ]; then
  for lang in "$@"; do
    (cd "$HERE/.." && python3 - "$lang" <<'EOF'
import sys
from pathlib import Path
from core.announce import all_clip_names
lang = sys.argv[1]
missing = [n for n in all_clip_names(lang) if not Path("sounds", lang, n + ".wav").is_file()]
if missing:
    sys.exit(f"{lang}: no clip for {', '.join(missing)}: add it to sounds/generate.sh")
EOF
    )
  done
fi
