-- ARM rule packs are now a kind of data pack (`packs`, kind 'arm_rules'),
-- checked by compiling them before they are stored; the earlier table held
-- opaque JSON that no client read.
DROP TABLE rule_packs;
