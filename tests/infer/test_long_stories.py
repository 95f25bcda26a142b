"""Long, multi-incident wire stories get every tag they deserve; places map to countries.

The stories below are fictional and written for this test. The model is trained once per
module with the demo config (place-name gazetteer included) on data/demo plus a small fixture
of team-written reports that use the words "ambushed" and "hostage", which the demo corpus
describes in other terms.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from infer.predictor import Predictor
from train.config import load_config
from train.fit import train_model

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "stories" / "ambush_and_hostage.jsonl"

# An ambush and a kidnapping buried in a regional round-up (about 420 words).
ROUND_UP = """The provincial council met on Monday to approve a new budget for road repairs, \
school meals and the expansion of the district hospital, which has struggled with a shortage \
of nurses since the spring. Council members argued for several hours over the price of \
asphalt and the share of money set aside for rural clinics, and the session ended without a \
vote on the water project that farmers have been demanding for two years. The governor said \
she expected the budget to pass next week.

In the hills east of the provincial capital, fighters hiding in the trees ambushed a police \
convoy returning from a night patrol on Sunday. The attackers waited until the lead truck \
reached a narrow bend, then opened fire from both sides of the road with rifles and machine \
guns. Four officers were killed and six wounded before reinforcements arrived, a police \
spokesman said. The gunmen escaped into the forest and no group has claimed the ambush.

Separately, armed men stopped a car carrying two aid workers near the border crossing on \
Saturday evening and took them away at gunpoint. Their organisation said the kidnappers had \
called on Monday to demand a ransom, and it appealed for the safe release of its staff. The \
two workers, a nurse and a water engineer, had been running a vaccination programme in the \
camps for displaced families.

Farmers in the lowlands meanwhile welcomed the first rains of the season after a long \
drought that withered the maize crop and pushed up food prices in the markets. The weather \
office forecast steady showers for the coming fortnight, and agricultural officials urged \
growers to plant quickly to make up for lost time. Seed merchants reported brisk sales.

Elsewhere, the national football team arrived home after a narrow defeat in the regional \
cup, and hundreds of supporters greeted the players at the airport with drums and flags. The \
coach said the young squad had gained valuable experience and promised a stronger showing at \
next year's tournament. The ministry of sport announced a new training ground for youth \
teams in the capital.

Traders at the central market also complained about a sharp rise in the price of cooking oil \
and sugar, which they blamed on the weak currency and on higher transport costs. The chamber \
of commerce asked the government to cut import duties on basic goods before the holidays, \
when demand usually peaks. Officials said they would study the request.
"""

# A car bomb that kills a governor, among budget and trade news (about 360 words).
BUDGET_DAY = """Parliament opened its annual budget debate on Tuesday with the finance minister \
promising lower taxes for small businesses, more money for teachers and a new fund for roads \
in the poorer northern districts. Opposition members said the plan relied on optimistic \
forecasts for oil revenue and called for a full audit of last year's spending. The debate is \
expected to last until the end of the month, and the speaker warned members to keep their \
speeches short.

Hours before the debate began, a car packed with explosives blew up beside the motorcade of \
the provincial governor as it left his residence, killing him and three of his bodyguards. \
Investigators said the bomb had been hidden in a parked vehicle and detonated as the \
governor's car passed. The governor had received threats after he ordered a crackdown on \
armed groups, and officials described the killing as a planned assassination. The blast \
shattered windows along the street and wounded eleven passers-by.

The central bank said inflation had eased for a third month in a row, helped by cheaper fuel \
and a good harvest of wheat and rice. Economists expect the bank to hold interest rates \
steady at its next meeting. Exporters said the stronger currency was hurting sales abroad, \
and textile factories have asked for temporary relief on electricity tariffs.

Also on Tuesday, the ministry of education published the results of the national school \
examinations. Pass rates rose in almost every province, and the minister praised teachers \
for their work during a difficult year. Universities will open their admissions portals next \
week, and scholarships for students from rural areas have been doubled.

In sport, the national cricket team won its series against a touring side by two matches to \
one, with the captain scoring a century in the final game. Thousands of fans watched the \
match on giant screens set up in city parks, and the board announced a new domestic league.
"""

# A hijacked ferry and an arson attack on a telecom mast, with weather and culture news.
COAST_WEEK = """Storms battered the coast for most of the week, closing fishing harbours and \
cutting power to thousands of homes in the low-lying villages along the delta. The weather \
service said the worst of the winds had passed, but warned of high tides over the weekend. \
Emergency crews cleared fallen trees from the main coastal road on Thursday.

On Wednesday, armed men who had boarded a passenger ferry disguised as travellers pulled out \
pistols an hour after it left port and forced the captain to change course towards a remote \
island. The hijackers held about ninety passengers and crew on board for two days before \
releasing the vessel in exchange for fuel and food, the coast guard said. Navy boats \
shadowed the ferry throughout the standoff.

Further inland, arsonists set fire to a mobile telephone mast and its generator building \
overnight, cutting phone and internet service across three districts. The operator said the \
equipment was destroyed and repairs would take at least a week. Police said the attackers \
poured fuel over the cables and the control cabinet before setting them alight.

The annual music festival in the old town went ahead despite the weather, with crowds \
packing the riverside stages to hear local bands and dancers. Organisers said ticket sales \
were the highest in a decade, and restaurants reported a busy weekend. The festival closes \
on Sunday with a parade of boats decorated with lanterns.

The regional health office reminded residents to boil drinking water after the floods and \
opened two temporary clinics in schools. Teachers said classes would resume on Monday in most \
villages once the roads were clear, and the education office promised to replace books \
damaged by the rain.

At the harbour, boat builders said orders for new fishing vessels had picked up after two \
quiet years, and the port authority announced plans to dredge the channel so that larger \
cargo ships can dock. Local officials hope the work will bring jobs to the coastal towns.
"""

# A long story with no attack in it: talks, trade, elections and weather.
PEACE_TALKS = """Negotiators from the government and the former rebel movement met for a third \
round of talks on Thursday in a lakeside hotel, with mediators from neighbouring states \
urging both sides to agree on a timetable for elections and the return of displaced \
families. The talks focused on land rights, the reopening of schools and the integration of \
former fighters into the civil service. Both delegations described the atmosphere as \
constructive, and a joint statement promised further meetings next month.

The electoral commission said voter registration would begin in the spring and that mobile \
teams would visit remote villages to register residents who lack identity papers. Civil \
society groups welcomed the plan but asked for more polling stations in the northern \
provinces, where many people live far from the nearest town.

The central bank reported that exports of coffee and tea rose sharply in the last quarter, \
helped by good rains and higher prices on world markets. Farmers' cooperatives said they \
would use the extra income to buy new drying equipment and to repair feeder roads before the \
next harvest. Traders expect the currency to remain stable.

In the capital, the city council opened a new bridge over the river, easing traffic jams \
that have plagued commuters for years. The mayor thanked the engineers and workers who \
finished the project ahead of schedule, and said a second bridge would be built downstream. \
Street vendors set up stalls along the approach roads to sell food to the crowds.

Forecasters expect a dry and warm weekend across most of the country, with scattered showers \
in the mountains. Health officials reminded parents that the measles vaccination campaign \
continues in all public clinics until the end of the month.

The national library reopened after a two-year renovation, with a new reading room for \
children and a digital archive of old newspapers. Librarians said the collection of maps and \
letters from the colonial era would be on display for the first time.
"""

STORIES = {
    "round-up with an ambush and a kidnapping": (ROUND_UP, {"ambush", "armed_assault", "kidnap"}),
    "budget day with a car bomb killing a governor": (BUDGET_DAY, {"bombing", "assassination"}),
    "coast week with a hijacked ferry and an arson attack": (
        COAST_WEEK,
        {"hijacking", "facility_attack"},
    ),
}


@pytest.fixture(scope="module")
def demo_predictor(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """A model trained with the default config (gazetteer included) on demo + fixture."""
    out = tmp_path_factory.mktemp("models") / "demo"
    corpora = [str(REPO / "data" / "demo"), str(FIXTURE)]
    config = load_config(REPO / "train" / "configs" / "default.toml", out=str(out), corpora=corpora)
    train_model(config)
    return Predictor.load(out)


@pytest.mark.parametrize("name", list(STORIES))
def test_long_multi_incident_story_gets_every_deserved_tag(
    demo_predictor: Predictor, name: str
) -> None:
    text, deserved = STORIES[name]
    assert 300 <= len(text.split()) <= 600
    [prediction] = demo_predictor.predict([text])
    missing = deserved - set(prediction.incident_types)
    assert not missing, f"{name}: missing {sorted(missing)}; scores {prediction.probabilities}"


def test_long_story_without_an_attack_gets_no_tag(demo_predictor: Predictor) -> None:
    assert 300 <= len(PEACE_TALKS.split()) <= 600
    [prediction] = demo_predictor.predict([PEACE_TALKS])
    assert prediction.incident_types == {}, prediction.probabilities


MAKHMOUR = {
    "issue": (
        "Islamic State fighters ambushed a group of truffle hunters in the desert near "
        "Makhmour on Friday, killing three of them, and took a fourth man hostage, local "
        "officials said."
    ),
    "readme": "Gunmen ambushed a convoy near Makhmour and seized a driver.",
}


@pytest.mark.parametrize("which", list(MAKHMOUR))
def test_makhmour_ambush_and_hostage_is_tagged_in_iraq(
    demo_predictor: Predictor, which: str
) -> None:
    assert "Makhm" not in FIXTURE.read_text(encoding="utf-8")
    [prediction] = demo_predictor.predict([MAKHMOUR[which]])
    assert set(prediction.incident_types) == {"ambush", "armed_assault", "kidnap"}, prediction
    assert prediction.country == "IQ"
    assert prediction.region == "Middle East & North Africa"


def test_town_never_seen_in_training_maps_to_its_country(demo_predictor: Predictor) -> None:
    demo = "\n".join(
        p.read_text(encoding="utf-8") for p in [*(REPO / "data" / "demo").glob("*"), FIXTURE]
    )
    cases = [("Bhawanipatna", "IN"), ("Nowshera", "PK"), ("Kismayo", "SO"), ("Sirte", "LY")]
    for town, country in cases:
        assert town not in demo, f"{town} is in the demo corpus: pick another town"
        text = f"Gunmen opened fire on a crowded bus station in {town} on Tuesday."
        [prediction] = demo_predictor.predict([text])
        assert prediction.country == country, (town, prediction)


def test_named_place_outvotes_an_unsure_country_head(demo_predictor: Predictor) -> None:
    unsure = dataclasses.replace(
        demo_predictor.model, country_min_probability=1.01, place_fallback_share=0.5
    )
    text = "Gunmen opened fire on a crowded bus station in Nowshera on Tuesday."
    [prediction] = Predictor(unsure).predict([text])
    assert (prediction.country, prediction.region) == ("PK", "South Asia")
    off = dataclasses.replace(unsure, place_fallback_share=0.0)
    [prediction] = Predictor(off).predict([text])
    assert prediction.country is None
