# liverseg. make run: set up this machine and open the app; make test: what CI runs.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

.PHONY: setup setup-gpu build run test bench package screenshot

setup:
	bash scripts/setup.sh

# The CUDA build of ONNX Runtime (CUDA 13, cuDNN 9) for a GPU workstation: scripts/setup-gpu.sh.
setup-gpu: setup
	bash scripts/setup-gpu.sh

build:
	. scripts/goflags.sh && go build -o bin/liverseg .

# Without a display the app runs on a virtual one, with a session bus and a runtime folder of its
# own where the machine has none (scripts/run.sh).
run: setup
	@bash scripts/run.sh $(ARGS)

test:
	bash scripts/test.sh

bench: setup
	bash bench/load_ircad7.sh
	bash bench/codecs.sh
	bash bench/segment_vs_torch.sh
	bash bench/train_step.sh

# The desktop package: dist/liverseg-VERSION-linux-ARCH.tar.xz (unpack and start bin/liverseg,
# or run its install.sh for a menu entry).
package: setup
	bash scripts/package.sh dist

# The application under Xvfb on IRCAD case 7: truth, model, side by side; screenshot-ircad7.png.
screenshot: setup
	bash scripts/screenshot.sh screenshot-ircad7.png
