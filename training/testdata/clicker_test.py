"""Unit tests of worker.py's simulated clicks (Clicker), run by TestClickerPython:
    python3 clicker_test.py WORKER.py"""
import importlib.util
import sys
import unittest

import torch

spec = importlib.util.spec_from_file_location("worker", sys.argv.pop(1))
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)


def clicker(encoding="disk", radius=5.0, size=(32, 48), scipy=True):
    c = worker.Clicker(torch, {"click_encoding": encoding, "click_radius_mm": radius}, size)
    if not scipy:
        c.ndimage = None
    return c


class ClickerTest(unittest.TestCase):
    def test_largest_region_interior(self):
        # truth: a 9x9 square missed (false negative) and a 3x3 leak (false positive) elsewhere
        truth = torch.zeros(1, 32, 48, dtype=torch.bool)
        pred = torch.zeros_like(truth)
        truth[0, 4:13, 10:19] = True
        pred[0, 20:23, 30:33] = True
        for scipy in (True, False):
            rows, cols, pos, valid = clicker(scipy=scipy).next_clicks(pred, truth)
            self.assertTrue(bool(valid[0]))
            self.assertTrue(bool(pos[0]), "a missed region gets a positive click")
            self.assertEqual((int(rows[0]), int(cols[0])), (8, 14), "the centre of the square")
        # the leak is the larger error now: a negative click at its centre
        pred[0, 18:27, 28:37] = True
        truth[0, 4:13, 10:19] = False
        truth[0, 4:6, 10:12] = True
        rows, cols, pos, valid = clicker().next_clicks(pred, truth)
        self.assertFalse(bool(pos[0]))
        self.assertEqual((int(rows[0]), int(cols[0])), (22, 32))

    def test_jittered_clicks_stay_inside(self):
        # training's jittered clicks land in the inner half of the region clicked on, spread over it
        truth = torch.zeros(1, 32, 48, dtype=torch.bool)
        truth[0, 4:17, 10:23] = True  # 13x13: distances to the border 1..7
        pred = torch.zeros_like(truth)
        seen = set()
        torch.manual_seed(5)
        for _ in range(40):
            rows, cols, pos, valid = clicker().next_clicks(pred, truth, jitter=True)
            r, c = int(rows[0]), int(cols[0])
            self.assertTrue(bool(valid[0]) and bool(pos[0]))
            self.assertTrue(7 <= r <= 13 and 13 <= c <= 19, (r, c))
            seen.add((r, c))
        self.assertGreater(len(seen), 3, "the jitter moves the clicks")

    def test_no_error_no_click(self):
        truth = torch.zeros(2, 32, 48, dtype=torch.bool)
        truth[:, 5:10, 5:10] = True
        pred = truth.clone()
        pred[1, 20:25, 20:25] = True
        rows, cols, pos, valid = clicker().next_clicks(pred, truth)
        self.assertEqual(valid.tolist(), [False, True])

    def test_components_scipy_and_torch_agree(self):
        g = torch.Generator().manual_seed(3)
        m = torch.rand(3, 32, 48, generator=g) > 0.6
        a = clicker(scipy=True).components(m)
        b = clicker(scipy=False).components(m)
        for i in range(3):
            # the same partition: a pixel pair is together in one labelling iff in the other
            fa, fb = a[i].flatten(), b[i].flatten()
            sa = fa.unsqueeze(0) == fa.unsqueeze(1)
            sb = fb.unsqueeze(0) == fb.unsqueeze(1)
            self.assertTrue(torch.equal(sa, sb))
            self.assertTrue(torch.equal(fa > 0, m[i].flatten()))

    def test_disk_in_mm(self):
        # 1 mm a column, 2 mm a row: a 5 mm disk spans 11 columns and 5 rows
        c = clicker("disk", 5.0)
        maps = torch.zeros(1, 32, 48)
        c.draw(maps, torch.tensor([16]), torch.tensor([24]), torch.tensor([[1.0, 2.0]]), torch.tensor([True]))
        self.assertEqual(int(maps[0, 16].sum()), 11)
        self.assertEqual(int(maps[0, :, 24].sum()), 5)
        self.assertEqual(float(maps.max()), 1.0)
        # a second click: the maximum of the two, not the sum
        c.draw(maps, torch.tensor([16]), torch.tensor([26]), torch.tensor([[1.0, 2.0]]), torch.tensor([True]))
        self.assertEqual(float(maps.max()), 1.0)
        self.assertEqual(int(maps[0, 16].sum()), 13)

    def test_gaussian(self):
        c = clicker("gaussian", 4.0)
        maps = torch.zeros(1, 32, 48)
        c.draw(maps, torch.tensor([10]), torch.tensor([10]), torch.tensor([[2.0, 2.0]]), torch.tensor([True]))
        self.assertAlmostEqual(float(maps[0, 10, 10]), 1.0)
        # 2 pixels = 4 mm = one sigma: exp(-1/2)
        self.assertAlmostEqual(float(maps[0, 10, 12]), 0.6065306, places=5)
        self.assertAlmostEqual(float(maps[0, 12, 10]), 0.6065306, places=5)

    def test_simulate_feeds_back_output(self):
        # a "network" of the guidance (label, positive, negative) that returns the positive map
        # as liver (logit +10) and else the label
        def Echo():
            def net(which, g):
                lab, pos, neg = g[:, 0:1], g[:, 1:2], g[:, 2:3]
                on = ((lab > 0.5) | (pos > 0.5)) & ~(neg > 0.5)
                return torch.where(on, torch.tensor(10.0), torch.tensor(-10.0))
            return net
        c = clicker("disk", 3.0, size=(32, 48))
        truth = torch.zeros(1, 32, 48, dtype=torch.bool)
        truth[0, 2:30, 2:46] = True
        x = torch.zeros(1, 3, 32, 48)
        label = torch.zeros(1, 1, 32, 48)
        seen = []
        inp = c.simulate(Echo(), x, truth, label, torch.tensor([[1.0, 1.0]]), torch.tensor([4]),
                         on_round=lambda r, lab: seen.append(int(lab.sum())))
        self.assertEqual(tuple(inp.shape), (1, 6, 32, 48))
        # every click adds a disk of liver where the label (the previous output) was empty
        self.assertEqual(len(seen), 4)
        self.assertTrue(all(b > a for a, b in zip(seen, seen[1:])), seen)
        self.assertEqual(int((inp[0, 4] > 0).sum() > 0), 1)
        self.assertEqual(float(inp[0, 5].sum()), 0.0, "no leak: no negative click")
        # without on_round the model does not run after the last click: the label is the output
        # after the third
        inp3 = c.simulate(Echo(), x, truth, label, torch.tensor([[1.0, 1.0]]), torch.tensor([4]))
        self.assertEqual(int(inp3[0, 3].sum()), seen[2])

    def test_bad_settings(self):
        with self.assertRaises(ValueError):
            clicker("square", 5.0)
        with self.assertRaises(ValueError):
            clicker("disk", 0.0)


class FirstClickTest(unittest.TestCase):
    """Worker.first_click: one click applied as the AI click tool applies it."""

    def test_only_the_connected_change_counts(self):
        import types
        truth = torch.zeros(1, 32, 48, dtype=torch.bool)
        truth[0, 5:21, 5:31] = True
        label = truth.clone()
        label[0, 8:17, 8:17] = False  # a missed block of 81 pixels: the largest error
        far = torch.zeros_like(truth)
        far[0, 25:29, 40:45] = True  # what the model adds far away, not connected to the click

        def net(which, guidance):
            return (truth | far)[which].unsqueeze(1).float() * 20 - 10
        w = types.SimpleNamespace(torch=torch, clicker=clicker())
        acc = {"positive": [0, 0, 0, 0], "negative": [0, 0, 0, 0]}
        worker.Worker.first_click(w, net, label.unsqueeze(1).float(), truth, torch.tensor([[1.0, 1.0]]), acc)
        self.assertEqual(acc["positive"], [1, 81, 81, 0])
        self.assertEqual(acc["negative"], [0, 0, 0, 0])

        # a model that changes nothing: the click's own disk (5 mm at 1 mm pixels), inside the region
        acc = {"positive": [0, 0, 0, 0], "negative": [0, 0, 0, 0]}
        worker.Worker.first_click(w, lambda which, g: g[:, :1] * 20 - 10, label.unsqueeze(1).float(), truth, torch.tensor([[1.0, 1.0]]), acc)
        self.assertEqual(acc["positive"][:2], [1, 81])
        self.assertTrue(0 < acc["positive"][2] < 81 and acc["positive"][3] == 0, acc)


class ClickNetTest(unittest.TestCase):
    """build_click_unet: the parent's logits without clicks, exactly, for both networks."""

    def net(self, copy):
        torch.manual_seed(3)
        m = worker.build_click_unet(torch.nn, 3, 4, 2, 0.0, 8, copy=copy)
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 2.0)
        if copy:
            m.start_copy()
        return m.eval()

    def inputs(self):
        x = torch.rand(2, 6, 32, 32)
        x[:, 3] = (torch.rand(2, 32, 32) > 0.5).float()
        x[:, 4:] = 0
        x[0, 4, 10:14, 10:14] = 1  # a positive click on slice 0, none on slice 1
        return x

    def test_no_click_keeps_parent(self):
        for copy in (False, True):
            m, x = self.net(copy), self.inputs()
            with torch.no_grad():
                z = m.features(x)[1]
                # a trained correction: the network must still keep slice 1 (no click) exact
                for p in (m.copy if copy else m.click).parameters():
                    p.add_(0.05)
                out = m(x)
            self.assertTrue(torch.equal(out[1], z[1]), "copy=%s: a slice without clicks changed" % copy)
            self.assertGreater(float((out[0] - z[0]).abs().max()), 0, "copy=%s: the click did nothing" % copy)

    def test_copy_starts_as_parent(self):
        m, x = self.net(True), self.inputs()
        with torch.no_grad():
            self.assertLess(float((m(x) - m.features(x)[1]).abs().max()), 1e-5)
        self.assertEqual(tuple(m.copy.down[0][0].weight.shape[1:2]), (3 + 5,))
        self.assertEqual(float(m.copy.down[0][0].weight[:, 3:].abs().sum()), 0.0)


if __name__ == "__main__":
    unittest.main()
