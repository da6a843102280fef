// The seed talk's `calicoctl get workloadendpoint` table
// (../shared/seed/000_5d8da8be59bf4107.txt): WORKLOAD, NODE, NETWORKS,
// INTERFACE, rows as printed there. examples/bookinfo must reproduce it.
export const SEED_WORKLOADS = `
details-v1-68c7c8666d-x57tf      ubuntu2 192.168.1.62/32 cali8c5ecab8e58
main-699dd9dc98-6fz62            ubuntu3 192.168.2.54/32 calib6d81851da5
main-699dd9dc98-nlxss            ubuntu2 192.168.1.67/32 cali4d4a0d13a0e
main-699dd9dc98-vb9c5            ubuntu1 192.168.0.56/32 cali6d8add8d729
productpage-v1-54d799c966-h96dv  ubuntu3 192.168.2.63/32 calic30c889d0d0
ratings-v1-8558d4458d-86mtm      ubuntu3 192.168.2.55/32 cali21230f2dafe
reviews-v1-cb8655c75-9tz9q       ubuntu1 192.168.0.52/32 calida284fa5314
reviews-v2-7fc9bb6dcf-45d6z      ubuntu2 192.168.1.66/32 calie03b469bdcb
reviews-v3-c995979bc-78g8r       ubuntu3 192.168.2.58/32 cali3ce30d54769
`.trim().split("\n").map((l) => l.trim().split(/\s+/) as [string, string, string, string]);
