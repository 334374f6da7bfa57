from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "index" / "sample"
SEED = SAMPLE_DIR / "000_b58262a57bd1c4a3.txt"
TEST_DATA = ROOT / "tests" / "data"
