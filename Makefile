# The habits: make build | test | demo | bench | fmt | sanitize | fuzz | clean
BUILD ?= build
SAN_BUILD ?= build-san
DEMO_DATA ?= $(BUILD)/demo-data
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

FUZZ_SECONDS ?= 600

.PHONY: all bootstrap configure build test demo bench fmt sanitize fuzz clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

# Two jobs: the machines have two cores.
build: configure
	ninja -C $(BUILD) -j2

test: bootstrap
	$(MAKE) build
	cd $(BUILD) && ctest -j2 --output-on-failure --timeout 300
	scripts/lint-openapi
	scripts/fuzz 10 1

demo: bootstrap
	$(MAKE) build
	$(BUILD)/orderhub serve --demo --data $(DEMO_DATA)

bench: bootstrap
	$(MAKE) build
	$(BUILD)/orderhub bench engine_create
	$(BUILD)/orderhub bench http_create
	$(BUILD)/orderhub bench restart
	$(BUILD)/orderhub bench routing_decision
	$(BUILD)/orderhub bench routing_quality
	$(BUILD)/orderhub bench routing_replan

fmt:
	find src bench tests testing -name '*.h' -o -name '*.cc' | xargs clang-format -i

# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: bootstrap
	cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOH_SANITIZE=ON
	ninja -C $(SAN_BUILD) -j2
	cd $(SAN_BUILD) && ctest -j2 --output-on-failure --timeout 600

# Every fuzz target for FUZZ_SECONDS (clang, libFuzzer, ASan + UBSan).
fuzz: bootstrap
	scripts/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-fuzz
