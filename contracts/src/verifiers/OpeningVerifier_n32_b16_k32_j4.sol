// SPDX-License-Identifier: GPL-3.0
/*
    Copyright 2021 0KIMS association.

    This file is generated with [snarkJS](https://github.com/iden3/snarkjs).

    snarkJS is a free software: you can redistribute it and/or modify it
    under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    snarkJS is distributed in the hope that it will be useful, but WITHOUT
    ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
    or FITNESS FOR A PARTICULAR PURPOSE. See the GNU General Public
    License for more details.

    You should have received a copy of the GNU General Public License
    along with snarkJS. If not, see <https://www.gnu.org/licenses/>.
*/

pragma solidity >=0.7.0 <0.9.0;

contract OpeningVerifier_n32_b16_k32_j4 {
    // Scalar field size
    uint256 constant r    = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    // Base field size
    uint256 constant q   = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    // Verification Key data
    uint256 constant alphax  = 11901053172241224824006157411104631530867035433240074923122301689303579212612;
    uint256 constant alphay  = 9376406188961561379936618512705194492792003792463065276634237398989317929195;
    uint256 constant betax1  = 3841214725505812216403447289827504033295995376006035933666509810617131327481;
    uint256 constant betax2  = 2421109163078123653919193059672028611786648617616955493910741533687709436540;
    uint256 constant betay1  = 9547555511125178844728615298172450816049589062336842119684043298264725091063;
    uint256 constant betay2  = 19550069253520911370480595038285841295404495574184086669786945569024584024486;
    uint256 constant gammax1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 constant gammax2 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 constant gammay1 = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 constant gammay2 = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 constant deltax1 = 9601668081001935168781439353154740348252556424748264038203807083140211233334;
    uint256 constant deltax2 = 11108276023073675348104383417154091617822676839241153780476485727056239839334;
    uint256 constant deltay1 = 2945440691165979874846853798277589515107575741470062747311891387065638227030;
    uint256 constant deltay2 = 17927017901016017694174663664945479933244938379372946439922705609426894410515;

    
    uint256 constant IC0x = 1207650143014028949323899980292448750932759398475789841378068766637510348402;
    uint256 constant IC0y = 6352554749074703591659741774171455874030082782269490304904690981387036214701;
    
    uint256 constant IC1x = 5651553444280870586436926841240697905000285649166421960585004079423322004519;
    uint256 constant IC1y = 12424444156785187757655950533515956195595411402156511163111930120029422667988;
    
    uint256 constant IC2x = 205655160418033495981837127958560056590411436404027773029311587898576162164;
    uint256 constant IC2y = 3805904504322612351913883655556315114562560750888837172385452815284052435183;
    
    uint256 constant IC3x = 8424298045875121075645411560712894667726240876728046567621258195227036724555;
    uint256 constant IC3y = 4380891290328852191800194498407597508388477996253318084059476019299358777298;
    
    uint256 constant IC4x = 5851003225839152645837503769042406843765796289031215479078865053330237315678;
    uint256 constant IC4y = 5150125963893163446550041417377025918304873992428517380373207048501753745798;
    
    uint256 constant IC5x = 3146056914950957252434617729556823998493795727415432169277315421134073206173;
    uint256 constant IC5y = 1600246459729969009310522581672197167849923701624208494337587557838974028286;
    
    uint256 constant IC6x = 476464669260849923380929113107267476861318639142631403588098438229151303364;
    uint256 constant IC6y = 15118935619840897756772490677156483282073193872569631353784931287377347355918;
    
    uint256 constant IC7x = 10156251969033510163776735366576117359261146876132956671644293922756464714440;
    uint256 constant IC7y = 18919340644040479541233766549110274364134703098336160720376775786890193733654;
    
    uint256 constant IC8x = 2220673688574638089370716378446539601002638668102394414993409399927250630795;
    uint256 constant IC8y = 10633923698751864618275647619559139161498477252298176244702847210488240815820;
    
    uint256 constant IC9x = 17258305002672808756457536436131742650469738207477548625209541438381797509857;
    uint256 constant IC9y = 15843585289285537637472562101293134884990397222571291390209326257074390996293;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[9] calldata _pubSignals) public view returns (bool) {
        assembly {
            function checkField(v) {
                if iszero(lt(v, r)) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }
            
            // G1 function to multiply a G1 value(x,y) to value in an address
            function g1_mulAccC(pR, x, y, s) {
                let success
                let mIn := mload(0x40)
                mstore(mIn, x)
                mstore(add(mIn, 32), y)
                mstore(add(mIn, 64), s)

                success := staticcall(sub(gas(), 2000), 7, mIn, 96, mIn, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }

                mstore(add(mIn, 64), mload(pR))
                mstore(add(mIn, 96), mload(add(pR, 32)))

                success := staticcall(sub(gas(), 2000), 6, mIn, 128, pR, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }

            function checkPairing(pA, pB, pC, pubSignals, pMem) -> isOk {
                let _pPairing := add(pMem, pPairing)
                let _pVk := add(pMem, pVk)

                mstore(_pVk, IC0x)
                mstore(add(_pVk, 32), IC0y)

                // Compute the linear combination vk_x
                
                g1_mulAccC(_pVk, IC1x, IC1y, calldataload(add(pubSignals, 0)))
                
                g1_mulAccC(_pVk, IC2x, IC2y, calldataload(add(pubSignals, 32)))
                
                g1_mulAccC(_pVk, IC3x, IC3y, calldataload(add(pubSignals, 64)))
                
                g1_mulAccC(_pVk, IC4x, IC4y, calldataload(add(pubSignals, 96)))
                
                g1_mulAccC(_pVk, IC5x, IC5y, calldataload(add(pubSignals, 128)))
                
                g1_mulAccC(_pVk, IC6x, IC6y, calldataload(add(pubSignals, 160)))
                
                g1_mulAccC(_pVk, IC7x, IC7y, calldataload(add(pubSignals, 192)))
                
                g1_mulAccC(_pVk, IC8x, IC8y, calldataload(add(pubSignals, 224)))
                
                g1_mulAccC(_pVk, IC9x, IC9y, calldataload(add(pubSignals, 256)))
                

                // -A
                mstore(_pPairing, calldataload(pA))
                mstore(add(_pPairing, 32), mod(sub(q, calldataload(add(pA, 32))), q))

                // B
                mstore(add(_pPairing, 64), calldataload(pB))
                mstore(add(_pPairing, 96), calldataload(add(pB, 32)))
                mstore(add(_pPairing, 128), calldataload(add(pB, 64)))
                mstore(add(_pPairing, 160), calldataload(add(pB, 96)))

                // alpha1
                mstore(add(_pPairing, 192), alphax)
                mstore(add(_pPairing, 224), alphay)

                // beta2
                mstore(add(_pPairing, 256), betax1)
                mstore(add(_pPairing, 288), betax2)
                mstore(add(_pPairing, 320), betay1)
                mstore(add(_pPairing, 352), betay2)

                // vk_x
                mstore(add(_pPairing, 384), mload(add(pMem, pVk)))
                mstore(add(_pPairing, 416), mload(add(pMem, add(pVk, 32))))


                // gamma2
                mstore(add(_pPairing, 448), gammax1)
                mstore(add(_pPairing, 480), gammax2)
                mstore(add(_pPairing, 512), gammay1)
                mstore(add(_pPairing, 544), gammay2)

                // C
                mstore(add(_pPairing, 576), calldataload(pC))
                mstore(add(_pPairing, 608), calldataload(add(pC, 32)))

                // delta2
                mstore(add(_pPairing, 640), deltax1)
                mstore(add(_pPairing, 672), deltax2)
                mstore(add(_pPairing, 704), deltay1)
                mstore(add(_pPairing, 736), deltay2)


                let success := staticcall(sub(gas(), 2000), 8, _pPairing, 768, _pPairing, 0x20)

                isOk := and(success, mload(_pPairing))
            }

            let pMem := mload(0x40)
            mstore(0x40, add(pMem, pLastMem))

            // Validate that all evaluations ∈ F
            
            checkField(calldataload(add(_pubSignals, 0)))
            
            checkField(calldataload(add(_pubSignals, 32)))
            
            checkField(calldataload(add(_pubSignals, 64)))
            
            checkField(calldataload(add(_pubSignals, 96)))
            
            checkField(calldataload(add(_pubSignals, 128)))
            
            checkField(calldataload(add(_pubSignals, 160)))
            
            checkField(calldataload(add(_pubSignals, 192)))
            
            checkField(calldataload(add(_pubSignals, 224)))
            
            checkField(calldataload(add(_pubSignals, 256)))
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
