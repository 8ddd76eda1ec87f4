"""The built-in word -> emotion lexicon for the spoken text (written for this project; Apache-2.0 like the rest).

Only words whose emotional reading hardly depends on context are listed ("died", "congratulations", "disgusting";
not "gone", "money", "door"), because a wrong colour is worse than none. Strength (0..1) says how strongly a word
alone suggests its class. Multi-word entries use "_" between words ("passed_away"). Inflections are found by
content_lexicon.py's suffix rules, so one base form is enough where the rule applies ("cry" covers "cries",
"crying"). The emotion words of the description vocabulary ("furious", "terrified") are added to these at load
time. Entries may name two classes ("amazing" is happy and surprised).
"""

from __future__ import annotations

WORDS: dict[str, dict[float, str]] = {
    "sad": {
        0.9: """die died dies dying dead death deaths funeral funerals grave graves burial buried mourn mourning
                grief grieve heartbreak heartbroken suicide tragedy tragic widow widowed orphan orphaned coffin casket
                miscarriage terminal passed_away rest_in_peace rip bereavement bereaved condolences""",
        0.7: """loss lost lose losing goodbye goodbyes farewell lonely loneliness cry cried tears weep wept sob sobbed
                miss missed hurt hurting heartache sorrow regret regretted divorce divorced abandoned abandon cancer
                illness hospital disease dementia hopeless despair depressed depression misery miserable
                unfortunately sadly failed failure rejected rejection homeless alone broken_heart never_again
                mourned buried_him buried_her killed starving starved poverty war victims victim tragedies""",
        0.45: """sorry apologize apologise apology disappointed disappointing disappointment alas tired exhausted
                 empty gloomy rain raining pity poor_thing too_late left_me left_us
                 breakup broke_up dumped miss_you goodbye_forever unwanted forgotten ignored sick ill
                 weak fail lonelier useless worthless crying_out""",
    },
    "happy": {
        0.9: """congratulations congrats hooray hurray yay woohoo yippee celebrate celebration celebrating won
                victory thrilled overjoyed delighted ecstatic best_day_ever dream_come_true love_you
                happy_birthday wonderful fantastic""",
        0.7: """love loved lovely beautiful gorgeous great brilliant excellent perfect awesome glad joy fun funny
                laugh laughed laughing smile smiled smiling birthday party wedding married gift gifts thank thanks
                thankful grateful blessed proud success succeeded promoted promotion vacation holiday holidays
                sunshine sweet kiss hug hugs darling sweetheart favourite favorite enjoy enjoyed delicious yummy
                cheers bravo win winner winning champion hero adore adorable cute marvellous marvelous terrific
                superb splendid magnificent lucky happiness happily cheerful incredible_news good_news well_done
                engaged newborn graduate graduated graduation reunion reunited free_at_last finally_home""",
        0.45: """good nice fine_thanks friend friends hope hopeful hoping welcome pleased kindness
                 sunny peace peaceful safe okay_great yes_please glad_to_see excited exciting
                 fun_time treat reward bonus prize comfort comfortable cozy cosy relax relaxing relieved
                 relief""",
    },
    "angry": {
        0.9: """hate hated hating furious rage damn damned dammit goddamn bastard idiot idiots moron liar betrayed
                betrayal how_dare shut_up get_out enough_is_enough sick_of fed_up screw_you pissed outrageous
                disgrace traitor""",
        0.7: """stupid unfair injustice ridiculous nonsense pathetic fault blame blamed ruined ruin destroyed steal
                stole stolen robbed thief lie lied lies lying_to_me cheat cheated cheating disrespect disrespectful
                insult insulted annoying annoyed angry mad revenge enemy coward selfish rude jerk cheater
                liars dare idiotic shameful stop_it leave_me_alone never_forgive unacceptable furiously""",
        0.45: """wrong seriously whatever argue argued argument fight fighting fought yelled shouted
                 complain complained complaint demand demanded broke_my broken_promise ignore ignoring stubborn
                 unbelievable_how typical""",
    },
    "fearful": {
        0.9: """help_me scream screamed screaming murder murderer killer monster monsters ghost ghosts terror
                terrified horror nightmare panic dangerous gun guns knife blood bleeding emergency trapped
                attacked kidnapped hostage bomb explosion earthquake shooting shot_at someone_is_here
                dont_hurt_me please_dont run_for_it""",
        0.7: """danger afraid scared fear frightened frightening creepy haunted threat threatened threatening hide
                hiding attack dark darkness alarm alarming risk unsafe worried worry worries anxious nervous
                shaking trembling footsteps intruder stalker stranger storm flood fire burning chased chasing
                escape lost_in_the_woods what_was_that who's_there whos_there""",
        0.45: """careful warning nervous exam risky strange weird noise noises shadow shadows alone_here
                 uncertain unknown deadline interview surgery doctor_said diagnosis""",
    },
    "surprised": {
        0.9: """wow whoa woah omg unbelievable can't_believe cannot_believe no_way oh_my_god oh_my_gosh
                what_a_surprise surprise surprised shocking shocked astonishing astonished""",
        0.7: """incredible unexpected unexpectedly suddenly amazing amazed speechless stunned
                out_of_nowhere never_expected who_knew gosh goodness oh_my jeez""",
        0.45: """strange odd sudden whoops oops huh""",
    },
    "disgusted": {
        0.9: """disgusting gross yuck yuk ew eww ewww vomit vomited puke puked nauseating revolting repulsive
                sickening filthy rotten rotting stink stinks stinking stench maggot maggots sewage feces vile
                nasty cockroach cockroaches""",
        0.7: """moldy mouldy slime slimy greasy rancid putrid foul gag gagging ugh creep pervert corrupt corruption
                hypocrite despicable repugnant shameless sleazy dirty grimy germs smelly smells""",
        0.45: """sticky sweaty soggy weird_smell hairy rats rat bugs worms mud spit spat""",
    },
}

# Content words too common or too context-bound to read alone, even when the description vocabulary lists them.
NOT_CONTENT = frozenset(
    """down blue content cross flat warm crushed tense mad bitter stern normal steady collected settled tender
    even lost broken cold blank sober even fun light bright sunny lively positive even reserved formal focused
    measured chill curious hope love pride fear shock wonder sorry temper tears awe torn settled surprise
    composed positive""".split()
)
