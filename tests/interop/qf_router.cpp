/*
 * qf_router.cpp - QuickFIX as an order router against riskgwd: a FIX 4.4 or
 * 4.2 initiator over TLS with a client certificate (QuickFIX's own
 * SSLSocketInitiator). It logs on, sends child orders naming their parent,
 * then an order that breaches the parent's quantity, a cancel, a replace, a
 * replace of an unknown order and a message type the route does not allow,
 * waits for each answer, logs out, and reports what came back and whether
 * QuickFIX's session layer had anything to complain about. Exit 0 only when
 * everything expected happened; 1 when something did not; 2 bad usage; 99
 * setup errors.
 *
 *   qf_router --fix 4.4|4.2 --port P --sender ROUTER1 --target RISKGW
 *             --cert C --key K --ca CA --parent ID --parent-tag 583
 *             --log FILE [--orders N] [--qty Q] [--breach-qty Q] [--kill]
 *             [--prefix ID] [--store DIR] [--gap-out K] [--gap-in K]
 *             [--dict-4.4 FILE] [--dict-4.2 FILE]
 *   qf_router --free-ports N
 *
 * --kill: the breach trips riskgwd's kill switch (the parent is registered
 * with trip=qty): the next order must be refused with the kill reason, the
 * cancel must still pass to the venue, and the replace must be answered by
 * riskgwd with an OrderCancelReject.
 *
 * --gap-out K / --gap-in K (with --store, on a session that ran before):
 * sequence recovery instead of the order checks: QuickFIX skips K outgoing
 * MsgSeqNums and forgets the last K it received, so each side must ask the
 * other for a resend; then one child order must go through.
 */
#include <csignal>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/MessageStore.h>
#include <quickfix/SSLSocketInitiator.h>
#include <quickfix/Session.h>

#include "qf_common.h"

namespace {

/* One application message from riskgwd, the fields the checks look at. */
struct Got {
	std::string type, clid, orig, exectype, status, text, rejreason, cxlrejto, cxlrejreason,
	    refmsgtype, bizrej, leaves, cum, avgpx, orderid, execid, side, symbol, ordqty, origtime;
	bool possdup = false;
};

class Router : public FIX::Application {
public:
	/* session layer: what QuickFIX sent or got that it should not have */
	int rejects_sent = 0, rejects_got = 0, resend_sent = 0, resend_got = 0, seqreset_sent = 0,
	    seqreset_got = 0, logouts_got = 0, logouts_sent = 0;
	std::vector<std::string> notes;
	bool logged_on = false, logged_out = false, we_logout = false;
	std::vector<Got> got;
	std::mutex mu;
	std::condition_variable cv;

	void onCreate(const FIX::SessionID &) override {}
	void onLogon(const FIX::SessionID &) override
	{
		std::lock_guard<std::mutex> g(mu);
		logged_on = true;
		cv.notify_all();
	}
	void onLogout(const FIX::SessionID &) override
	{
		std::lock_guard<std::mutex> g(mu);
		logged_out = true;
		cv.notify_all();
	}
	void toAdmin(FIX::Message &m, const FIX::SessionID &) override
	{
		std::string t = qf::get(m.getHeader(), 35);
		std::lock_guard<std::mutex> g(mu);

		if (t == "3") {
			rejects_sent++;
			notes.push_back("QuickFIX rejected a message from riskgwd: " + qf::bars(m.toString()));
		} else if (t == "2") {
			resend_sent++;
			notes.push_back("QuickFIX asked for a resend: " + qf::bars(m.toString()));
		} else if (t == "4") {
			seqreset_sent++;
		} else if (t == "5") {
			logouts_sent++;
			if (!we_logout)
				notes.push_back("QuickFIX sent a Logout it was not asked to send: " +
				    qf::bars(m.toString()));
		}
	}
	void toApp(FIX::Message &, const FIX::SessionID &) noexcept override {}
	void fromAdmin(const FIX::Message &m, const FIX::SessionID &) noexcept override
	{
		std::string t = qf::get(m.getHeader(), 35);
		std::lock_guard<std::mutex> g(mu);

		if (t == "3") {
			rejects_got++;
			notes.push_back("riskgwd rejected a message: " + qf::bars(m.toString()));
		} else if (t == "2") {
			resend_got++;
			notes.push_back("riskgwd asked for a resend: " + qf::bars(m.toString()));
		} else if (t == "4") {
			seqreset_got++;
			notes.push_back("riskgwd sent a SequenceReset: " + qf::bars(m.toString()));
		} else if (t == "5") {
			logouts_got++;
			if (!we_logout)
				notes.push_back("riskgwd logged out: " + qf::bars(m.toString()));
		}
	}
	void fromApp(const FIX::Message &m, const FIX::SessionID &) noexcept override
	{
		Got x;

		x.type = qf::get(m.getHeader(), 35);
		x.clid = qf::get(m, 11);
		x.orig = qf::get(m, 41);
		x.exectype = qf::get(m, 150);
		x.status = qf::get(m, 39);
		x.text = qf::get(m, 58);
		x.rejreason = qf::get(m, 103);
		x.cxlrejto = qf::get(m, 434);
		x.cxlrejreason = qf::get(m, 102);
		x.refmsgtype = qf::get(m, 372);
		x.bizrej = qf::get(m, 380);
		x.leaves = qf::get(m, 151);
		x.cum = qf::get(m, 14);
		x.avgpx = qf::get(m, 6);
		x.orderid = qf::get(m, 37);
		x.execid = qf::get(m, 17);
		x.side = qf::get(m, 54);
		x.symbol = qf::get(m, 55);
		x.ordqty = qf::get(m, 38);
		x.possdup = qf::get(m.getHeader(), 43) == "Y";
		x.origtime = qf::get(m.getHeader(), 122);
		std::lock_guard<std::mutex> g(mu);
		got.push_back(x);
		cv.notify_all();
	}

	/* Waits up to secs for pred (called with mu held). */
	bool wait(int secs, const std::function<bool()> &pred)
	{
		std::unique_lock<std::mutex> l(mu);
		return cv.wait_for(l, std::chrono::seconds(secs), pred);
	}
	int count(const std::function<bool(const Got &)> &f)
	{
		int n = 0;

		for (const auto &g : got)
			n += f(g) ? 1 : 0;
		return n;
	}
	const Got *find(const std::function<bool(const Got &)> &f)
	{
		for (const auto &g : got)
			if (f(g))
				return &g;
		return nullptr;
	}
};

int failures = 0;

void check(bool ok, const std::string &what)
{
	std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
	if (!ok)
		failures++;
}

} // namespace

int main(int argc, char **argv)
{
	qf::Opts o(argc, argv);

	if (o.has("free-ports"))
		return qf::print_free_ports(o.num("free-ports", 1));

	const std::string begin = qf::begin_string(o.need("fix"));
	const bool v42 = begin == "FIX.4.2";
	const std::string sender = o.need("sender"), target = o.need("target");
	const std::string parent = o.need("parent"), prefix = o.str("prefix", "C" + begin.substr(4, 1) + begin.substr(6, 1));
	const int parent_tag = o.num("parent-tag", v42 ? 5001 : 583);
	const int n = o.num("orders", 5), qty = o.num("qty", 100), breach_qty = o.num("breach-qty", 600);
	const bool kill = o.has("kill");
	const int gap_out = o.num("gap-out", 0), gap_in = o.num("gap-in", 0);
	const bool resend = gap_out > 0 || gap_in > 0;
	const int t_out = o.num("timeout", 10);
	const std::string fill_type = v42 ? "1" : "F"; /* 4.2 has no ExecType Trade */

	Router app;
	FIX::SessionSettings settings;
	FIX::Dictionary defaults = qf::tls_defaults(o, false), sd;
	FIX::SessionID sid(begin, sender, target);

	sd.setString("SocketConnectHost", o.str("host", "127.0.0.1"));
	sd.setString("SocketConnectPort", o.need("port"));
	qf::set_dictionary(sd, o, begin);
	settings.set(defaults);
	settings.set(sid, sd);

	/* --store DIR keeps the sequence numbers for the next run of the same
	 * session (the same trading day at riskgwd); without it they start at 1 */
	FIX::MemoryStoreFactory mem;
	FIX::FileStoreFactory file(o.str("store", "."));
	FIX::MessageStoreFactory &store = o.has("store") ? static_cast<FIX::MessageStoreFactory &>(file) : mem;
	qf::RecLogFactory log(o.need("log"));
	FIX::SSLSocketInitiator initiator(app, store, settings, log);

	/* --gap-out K: skip K outgoing MsgSeqNums, so riskgwd must ask for a
	 * resend (and QuickFIX gap-fills); --gap-in K: forget the last K
	 * messages riskgwd sent, so QuickFIX asks riskgwd to resend them (PossDup). */
	if (resend) {
		FIX::Session *s = FIX::Session::lookupSession(sid);

		if (s == nullptr) {
			std::fprintf(stderr, "qf_router: no session %s\n", sid.toString().c_str());
			return 99;
		}
		if (gap_out > 0)
			s->setNextSenderMsgSeqNum(s->getExpectedSenderNum() + gap_out);
		if (gap_in > 0)
			s->setNextTargetMsgSeqNum(s->getExpectedTargetNum() - gap_in);
	}
	try {
		initiator.start();
	} catch (std::exception &e) {
		std::fprintf(stderr, "qf_router: cannot start: %s\n", e.what());
		return 99;
	}
	std::printf("qf_router %s %s->%s: parent %s (tag %d), %d orders of %d\n", begin.c_str(),
	    sender.c_str(), target.c_str(), parent.c_str(), parent_tag, n, qty);
	if (!app.wait(t_out, [&] { return app.logged_on; })) {
		std::printf("FAILED: no logon within %d s (see %s)\n", t_out, o.need("log").c_str());
		initiator.stop(true);
		return 1;
	}
	std::printf("ok: logged on over TLS\n");

	int next_id = 0;
	auto new_id = [&] { return prefix + "-" + std::to_string(++next_id); };
	auto order = [&](const std::string &type, const std::string &clid, const std::string &orig,
			 int q) {
		FIX::Message m;

		m.getHeader().setField(35, type);
		m.setField(11, clid);
		if (!orig.empty())
			m.setField(41, orig);
		m.setField(1, "ACC1");
		if (type != "F") {
			m.setField(parent_tag, parent);
			if (v42 || type == "G")
				m.setField(21, "1"); /* HandlInst: required in 4.2 */
			m.setField(40, "2");
			m.setField(44, "100.25");
			m.setField(59, "0");
		}
		m.setField(55, "IBM");
		m.setField(54, "1");
		m.setField(38, std::to_string(q));
		m.setField(FIX::UtcTimeStampField(60, FIX::UtcTimeStamp(), 3)); /* TransactTime, UTC, ms */
		if (!FIX::Session::sendToTarget(m, sid)) {
			std::printf("FAILED: QuickFIX did not send %s %s\n", type.c_str(), clid.c_str());
			failures++;
		}
	};
	auto is_report = [](const Got &g, const std::string &clid, const std::string &et) {
		return g.type == "8" && g.clid == clid && g.exectype == et;
	};

	/* 1. N children: each acked (ExecType New) and partly filled by the venue */
	std::vector<std::string> kids;
	for (int i = 0; i < n; i++) {
		kids.push_back(new_id());
		order("D", kids.back(), "", qty);
	}
	bool all = app.wait(t_out, [&] {
		for (const auto &k : kids)
			if (app.count([&](const Got &g) { return is_report(g, k, "0"); }) != 1 ||
			    app.count([&](const Got &g) { return is_report(g, k, fill_type); }) != 1)
				return false;
		return true;
	});
	int acks, fills;
	{
		std::lock_guard<std::mutex> g(app.mu);
		acks = app.count([](const Got &x) { return x.type == "8" && x.exectype == "0"; });
		fills = app.count([&](const Got &x) { return x.type == "8" && x.exectype == fill_type; });
	}
	check(all && acks == n && fills == n,
	    "children: " + std::to_string(acks) + " acks (150=0), " + std::to_string(fills) +
		" fills (150=" + fill_type + ") for " + std::to_string(n) + " orders");

	if (!resend) {
		/* 2. the breach: refused by riskgwd itself */
		std::string breach = new_id();
		order("D", breach, "", breach_qty);
		bool rej = app.wait(t_out, [&] { return app.find([&](const Got &g) { return g.type == "8" && g.clid == breach; }); });
		{
			std::lock_guard<std::mutex> g(app.mu);
			const Got *r = app.find([&](const Got &x) { return x.type == "8" && x.clid == breach; });
			if (rej && r != nullptr) {
				std::printf("reject: ClOrdID=%s 39=%s 150=%s 103=%s 58=\"%s\" 37=%s 17=%s 54=%s 55=%s "
					    "38=%s 151=%s 14=%s 6=%s\n",
				    r->clid.c_str(), r->status.c_str(), r->exectype.c_str(),
				    r->rejreason.c_str(), r->text.c_str(), r->orderid.c_str(),
				    r->execid.c_str(), r->side.c_str(), r->symbol.c_str(), r->ordqty.c_str(),
				    r->leaves.c_str(), r->cum.c_str(), r->avgpx.c_str());
				check(r->status == "8" && r->exectype == "8" && r->rejreason == "3" &&
					!r->text.empty() && r->leaves == "0" && r->cum == "0",
				    "breach " + breach + " rejected: 39=8 150=8 103=3 (order exceeds limit), "
							 "58 set, 151=0 14=0");
			} else {
				check(false, "breach " + breach + " answered");
			}
		}

		/* 3. (--kill) a new order after the trip: refused with the kill reason */
		if (kill) {
			std::string after = new_id();
			order("D", after, "", qty);
			app.wait(t_out, [&] { return app.find([&](const Got &g) { return g.type == "8" && g.clid == after; }); });
			std::lock_guard<std::mutex> g(app.mu);
			const Got *r = app.find([&](const Got &x) { return x.type == "8" && x.clid == after; });
			if (r != nullptr)
				std::printf("after the kill: ClOrdID=%s 39=%s 150=%s 103=%s 58=\"%s\"\n",
				    r->clid.c_str(), r->status.c_str(), r->exectype.c_str(),
				    r->rejreason.c_str(), r->text.c_str());
			check(r != nullptr && r->status == "8" && r->exectype == "8" &&
				r->text.find("kill switch") != std::string::npos,
			    "order " + after + " after the kill switch tripped rejected with the kill reason");
		}

		/* 3b. (--kill) the kill cancels every open child at the venue itself;
		 * the router hears of each as an unsolicited report 150=4 under the
		 * child's own ClOrdID */
		if (kill) {
			bool all_cxl = app.wait(t_out, [&] {
				for (const std::string &k : kids)
					if (!app.find([&](const Got &g) { return is_report(g, k, "4"); }))
						return false;
				return true;
			});
			check(all_cxl, "the kill cancelled every open child: " + std::to_string(kids.size()) +
					   " unsolicited reports 150=4 39=4 under the children's ClOrdIDs");
		}

		/* 4. cancel the first child: cancels always pass; the venue cancels it
		 * (after a kill it is cancelled already: the venue refuses the cancel) */
		std::string cxl = new_id();
		order("F", cxl, kids[0], qty);
		if (!kill) {
			bool canceled = app.wait(t_out, [&] { return app.find([&](const Got &g) { return is_report(g, cxl, "4"); }); });
			check(canceled, "cancel " + cxl + " of " + kids[0] + ": venue answered 150=4 (canceled)");
		} else {
			bool answered = app.wait(t_out, [&] { return app.find([&](const Got &g) { return g.clid == cxl && (g.type == "9" || g.type == "8"); }); });
			check(answered, "cancel " + cxl + " of the already cancelled " + kids[0] +
					    " passed riskgwd and the venue answered it");
		}

		/* 5. replace the second child (+50): passed and replaced; after a kill
		 * riskgwd refuses it with an OrderCancelReject (434=2) */
		std::string rpl = new_id();
		order("G", rpl, kids.size() > 1 ? kids[1] : kids[0], qty + 50);
		if (!kill) {
			bool replaced = app.wait(t_out, [&] { return app.find([&](const Got &g) { return is_report(g, rpl, "5"); }); });
			check(replaced, "replace " + rpl + ": venue answered 150=5 (replaced)");
		} else {
			app.wait(t_out, [&] { return app.find([&](const Got &g) { return g.type == "9" && g.clid == rpl; }); });
			std::lock_guard<std::mutex> g(app.mu);
			const Got *r = app.find([&](const Got &x) { return x.type == "9" && x.clid == rpl; });
			if (r != nullptr)
				std::printf("cancel reject: ClOrdID=%s 41=%s 39=%s 434=%s 102=%s 58=\"%s\"\n",
				    r->clid.c_str(), r->orig.c_str(), r->status.c_str(), r->cxlrejto.c_str(),
				    r->cxlrejreason.c_str(), r->text.c_str());
			/* the kill cancelled it: not New (0) or partly filled (1) any more */
			check(r != nullptr && r->cxlrejto == "2" && (r->status == "4" || r->status == "8"),
			    "replace " + rpl + " after the kill refused by riskgwd: OrderCancelReject 434=2 "
					       "39=4 or 8 (the kill cancelled the order)");
		}

		/* 6. replace of an order riskgwd never saw: its own OrderCancelReject */
		std::string unk = new_id();
		order("G", unk, prefix + "-NOSUCH", qty);
		app.wait(t_out, [&] { return app.find([&](const Got &g) { return g.type == "9" && g.clid == unk; }); });
		{
			std::lock_guard<std::mutex> g(app.mu);
			const Got *r = app.find([&](const Got &x) { return x.type == "9" && x.clid == unk; });
			if (r != nullptr)
				std::printf("cancel reject: ClOrdID=%s 41=%s 39=%s 434=%s 102=%s 58=\"%s\"\n",
				    r->clid.c_str(), r->orig.c_str(), r->status.c_str(), r->cxlrejto.c_str(),
				    r->cxlrejreason.c_str(), r->text.c_str());
			/* FIX: "If CxlRejReason = Unknown order, specify Rejected"; after the
			 * kill too, an order riskgwd does not hold is not New */
			check(r != nullptr && r->cxlrejto == "2" && r->orig == prefix + "-NOSUCH" &&
				r->status == "8" && (kill || r->cxlrejreason == "1"),
			    "replace " + unk + " of an unknown order: OrderCancelReject 434=2 39=8" +
				std::string(kill ? "" : " 102=1"));
		}

		/* 7. a type the route does not allow: BusinessMessageReject */
		{
			FIX::Message m;

			m.getHeader().setField(35, "H");
			m.setField(11, prefix + "-STATUS");
			m.setField(55, "IBM");
			m.setField(54, "1");
			FIX::Session::sendToTarget(m, sid);
		}
		app.wait(t_out, [&] { return app.find([](const Got &g) { return g.type == "j"; }); });
		{
			std::lock_guard<std::mutex> g(app.mu);
			const Got *r = app.find([](const Got &x) { return x.type == "j"; });
			if (r != nullptr)
				std::printf("business reject: 372=%s 380=%s 58=\"%s\"\n", r->refmsgtype.c_str(),
				    r->bizrej.c_str(), r->text.c_str());
			check(r != nullptr && r->refmsgtype == "H" && r->bizrej == "3",
			    "OrderStatusRequest (H) refused: BusinessMessageReject 372=H 380=3");
		}

	}

	/* 8. logout, then the session layer's verdict */
	{
		std::lock_guard<std::mutex> g(app.mu);
		app.we_logout = true;
	}
	FIX::Session *s = FIX::Session::lookupSession(sid);
	if (s != nullptr)
		s->logout("qf_router done");
	bool out = app.wait(t_out, [&] { return app.logged_out; });
	initiator.stop();
	check(out && app.logouts_got == 1, "Logout answered by riskgwd");

	std::lock_guard<std::mutex> g(app.mu);
	int problems = log.problems();
	for (const auto &note : app.notes)
		std::printf("note: %s\n", note.c_str());
	std::printf("received: %zu application messages; session layer: rejects sent %d, rejects "
		    "received %d, resend requests sent %d received %d, sequence resets sent %d "
		    "received %d, problem events %d\n",
	    app.got.size(), app.rejects_sent, app.rejects_got, app.resend_sent, app.resend_got,
	    app.seqreset_sent, app.seqreset_got, problems);
	if (resend) {
		int dups = app.count([](const Got &x) { return x.possdup; });
		int dups_ok = app.count([](const Got &x) { return x.possdup && !x.origtime.empty(); });

		std::printf("resend: %d messages resent by riskgwd with PossDupFlag=Y (%d with "
			    "OrigSendingTime)\n", dups, dups_ok);
		check(gap_in == 0 || (app.resend_sent == 1 && dups > 0 && dups == dups_ok),
		    "--gap-in: QuickFIX asked for a resend and riskgwd resent with 43=Y and 122");
		check(gap_out == 0 || (app.resend_got == 1 && app.seqreset_sent >= 1),
		    "--gap-out: riskgwd asked for a resend and took QuickFIX's SequenceReset-GapFill");
		check(app.rejects_sent == 0 && app.rejects_got == 0 && app.logouts_got == 1 &&
			log.hard_problems() == 0,
		    "QuickFIX's session layer raised no Reject and no unexpected Logout while "
		    "recovering the gaps");
		std::printf("%s\n", failures == 0 ? "PASS" : "FAIL");
		return failures == 0 ? 0 : 1;
	}
	check(app.rejects_sent == 0 && app.rejects_got == 0 && app.resend_sent == 0 &&
		app.resend_got == 0 && app.seqreset_sent == 0 && app.seqreset_got == 0 &&
		problems == 0 && app.notes.empty(),
	    "QuickFIX's session layer accepted every message (sequence numbers, BodyLength, "
	    "CheckSum, CompIDs, SendingTime" +
		std::string(o.has("dict-" + begin.substr(4)) ? ", the data dictionary" : "") +
		") and raised no Reject, ResendRequest or unexpected Logout");
	std::printf("%s\n", failures == 0 ? "PASS" : "FAIL");
	return failures == 0 ? 0 : 1;
}
