# Sourced by the test script: starts Debian's PostgreSQL cluster if it is down, creates a
# throwaway role and database on loopback, and exports REPLAY_VISION_TEST_POSTGRES_URL.
cluster_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
    if ! pg_lsclusters -h | grep -q .; then
        pg_createcluster "$cluster_version" main >/dev/null
    fi
    pg_ctlcluster "$cluster_version" main start
fi
port=$(pg_lsclusters -h | awk '$4 == "online" {print $3; exit}')
run_as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi
}
run_as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'replay_vision'\" | grep -q 1 ||
    psql -p $port -qc \"CREATE ROLE replay_vision LOGIN PASSWORD 'replay_vision' CREATEDB\""
export REPLAY_VISION_TEST_POSTGRES_URL="postgres://replay_vision:replay_vision@127.0.0.1:$port/postgres"
