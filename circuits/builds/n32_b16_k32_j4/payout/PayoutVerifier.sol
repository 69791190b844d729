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

contract PayoutVerifier_n32_b16_k32_j4 {
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
    uint256 constant deltax1 = 1011193686142124452060911826190011967443464403225592165480500877972769101029;
    uint256 constant deltax2 = 21371235846609992623069305659704053676320162653142768326208663454506140978024;
    uint256 constant deltay1 = 21841621001510890027027605268684785160133941277394765377637704500610898361751;
    uint256 constant deltay2 = 8302053978637578831453780037060057062781524694089700288935267437895052267474;

    
    uint256 constant IC0x = 1935003178657349647904789428349871720445192267945310207821426228955628179952;
    uint256 constant IC0y = 4451884357754503205576011030240868573155712810614219060228200706238208395092;
    
    uint256 constant IC1x = 10096424351577727529213139920459028391920696402818466935905467487127957011096;
    uint256 constant IC1y = 2621868360185508760707620355526402471511090374118294274394400237975330551096;
    
    uint256 constant IC2x = 8764020033952643086069687031613954459148419089161225606471343309601261483516;
    uint256 constant IC2y = 5886443282239979013120018698539231859396599492974454579072975564097600351072;
    
    uint256 constant IC3x = 20394140841297515685702929557033052123022954976201130792792692646660601755779;
    uint256 constant IC3y = 19563526494783657102099145404014909159539063194294152422656957732852728601748;
    
    uint256 constant IC4x = 18111264273249958463712767654314737191101169185829621033550201416955135424548;
    uint256 constant IC4y = 13906229551179156691606061360222253078713315434661853000821700770380211631915;
    
    uint256 constant IC5x = 9718691593836144530927697270633898367005237001989417155537166755108131984098;
    uint256 constant IC5y = 11891980984619555613292928691235535136417110629389937370303778873954461535299;
    
    uint256 constant IC6x = 9479602004428538771832793128004036212201356387842030360426893404034302585136;
    uint256 constant IC6y = 20065406987381751253033476582278777608100129220960760957546456561909989105183;
    
    uint256 constant IC7x = 7714403000897995879266777591039872917058046973626440961963342095854429189752;
    uint256 constant IC7y = 17246571324429901886402934739605817085307963750231375486325340736179743086674;
    
    uint256 constant IC8x = 8020990933831045730261609448967885678480808188286817053878207082648884532849;
    uint256 constant IC8y = 5388030091226778279257214844559733383839094468008921025375626902943958055030;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[8] calldata _pubSignals) public view returns (bool) {
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
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
